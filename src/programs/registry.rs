//! The program registry: `(program, version)` -> the program's schema,
//! procedures and semantics, for built-in programs and programs loaded
//! with `--idl`, plus the program names of `/etc/rpc`.
//!
//! Dispatch is a table lookup, never an if-chain: the tracker, the sinks,
//! the filters, the client and the server all ask the registry. A program
//! loaded at run time joins the same table; a user's definition of a
//! (program, version) replaces the built-in one.
//!
//! Contract: building a registry parses `.x` text (errors say file:line:col);
//! lookups never allocate and never panic on wire numbers. Names shown to
//! users come from one place each: program names from [`super::names`]
//! (the `/etc/rpc` spelling), then `/etc/rpc` itself, then the `.x` program
//! block; procedure names from the `.x` definition when there is one, else
//! from [`super::names`].

use std::sync::{Arc, OnceLock};

use super::attrs::{BagSpec, Bags, SwitchSpec};
use super::idl::{self, IdlError};
use super::roles::{Role, Roles};
use super::schema::{ProcDef, Schema, TypeId, VersionDef};
use super::semantics::{self, Semantics};

/// Where a definition came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// Compiled into rpcscope (`src/programs/x/NAME`).
    Builtin(&'static str),
    /// Loaded with `--idl FILE`.
    User(String),
}

/// One `.x` file, loaded: its schema, the roles its program semantics give
/// its types, and where it came from.
#[derive(Debug)]
pub struct Definition {
    pub schema: Schema,
    pub roles: Roles,
    /// Attribute bags (NFSv4 `fattr4`) its semantics name.
    pub bags: Bags,
    pub source: Source,
}

/// One version of one program with a body definition.
#[derive(Debug, Clone)]
pub struct VersionEntry {
    pub program: u32,
    pub version: u32,
    /// The `.x` file it is defined in.
    pub def: Arc<Definition>,
    /// Index of the program block in `def.schema.programs`.
    prog_index: usize,
    /// Index of the version in that program block.
    vers_index: usize,
    /// The program's semantics (file handles, names, statuses...).
    pub semantics: &'static Semantics,
}

impl VersionEntry {
    /// The version's definition.
    pub fn version_def(&self) -> &VersionDef {
        &self.def.schema.programs[self.prog_index].versions[self.vers_index]
    }

    /// The program block's name in the `.x` file.
    pub fn program_block_name(&self) -> &str {
        &self.def.schema.programs[self.prog_index].name
    }

    /// A procedure of this version.
    pub fn procedure(&self, number: u32) -> Option<&ProcDef> {
        self.version_def().procedure(number)
    }

    /// The schema.
    pub fn schema(&self) -> &Schema {
        &self.def.schema
    }

    /// The roles of the schema's types.
    pub fn roles(&self) -> &Roles {
        &self.def.roles
    }

    /// The attribute bags of the schema.
    pub fn bags(&self) -> &Bags {
        &self.def.bags
    }
}

/// One `/etc/rpc` line: number, name, aliases.
type EtcRpc = (u32, String, Vec<String>);

/// The table. See the module docs.
#[derive(Debug, Clone, Default)]
pub struct Registry {
    /// Sorted by (program, version), unique.
    versions: Vec<VersionEntry>,
    /// Program names from `/etc/rpc`, for numbers the built-in table does
    /// not name.
    etc_rpc: Vec<EtcRpc>,
}

impl Registry {
    /// An empty registry: names from the built-in table only, no bodies.
    pub fn empty() -> Self {
        Registry::default()
    }

    /// The built-in programs (shared, parsed once per process).
    pub fn builtin() -> Arc<Registry> {
        static BUILTIN: OnceLock<Arc<Registry>> = OnceLock::new();
        BUILTIN
            .get_or_init(|| {
                let mut r = Registry::empty();
                for &(file, text) in super::builtin::FILES {
                    // The built-in files are checked by tests; a failure here
                    // is a bug in rpcscope, not in the user's input.
                    let schema = idl::parse(text, file)
                        .unwrap_or_else(|e| panic!("built-in definition {e}"));
                    r.add(schema, Source::Builtin(file));
                }
                Arc::new(r)
            })
            .clone()
    }

    /// Loads a user's `.x` text (already read by the caller; `include`
    /// resolves `#include` lines). Its (program, version) pairs replace any
    /// defined before.
    pub fn load_idl(
        &mut self,
        text: &str,
        file: &str,
        include: &mut idl::Include<'_>,
    ) -> Result<(), IdlError> {
        let schema = idl::parse_with(text, file, include)?;
        self.add(schema, Source::User(file.to_string()));
        Ok(())
    }

    /// Adds every program version of `schema`, replacing earlier entries
    /// with the same (program, version).
    pub fn add(&mut self, mut schema: Schema, source: Source) {
        let mut roles = Roles::new();
        let numbers: Vec<u32> = schema.programs.iter().map(|p| p.number).collect();
        let mut sems = Vec::new();
        let mut specs: Vec<BagSpec> = Vec::new();
        let mut switches: Vec<SwitchSpec> = Vec::new();
        for n in numbers {
            let sem = semantics::for_program(n);
            semantics::assign_roles(sem, &mut schema, &mut roles);
            for b in sem.bags {
                if !specs.contains(b) {
                    specs.push(*b);
                }
            }
            for b in sem.switched {
                if !switches.contains(b) {
                    switches.push(*b);
                }
            }
            sems.push(sem);
        }
        let bags = Bags::build(&specs, &switches, &schema, &mut roles);
        roles.mark_inside(&schema);
        roles.mark_watched(&schema, super::nfs4::WATCH_ROLES, super::nfs4::watches_kind);
        let def = Arc::new(Definition {
            schema,
            roles,
            bags,
            source,
        });
        for (pi, p) in def.schema.programs.iter().enumerate() {
            for (vi, v) in p.versions.iter().enumerate() {
                let entry = VersionEntry {
                    program: p.number,
                    version: v.number,
                    def: def.clone(),
                    prog_index: pi,
                    vers_index: vi,
                    semantics: sems[pi],
                };
                match self
                    .versions
                    .binary_search_by_key(&(p.number, v.number), |e| (e.program, e.version))
                {
                    Ok(i) => self.versions[i] = entry,
                    Err(i) => self.versions.insert(i, entry),
                }
            }
        }
    }

    /// Adds the program names of an `/etc/rpc` file (`name number aliases...`
    /// per line, `#` comments). Malformed lines are skipped, as the C
    /// library does.
    pub fn add_etc_rpc(&mut self, text: &str) {
        for line in text.lines() {
            let line = line.split('#').next().unwrap_or("");
            let mut words = line.split_whitespace();
            let (Some(name), Some(num)) = (words.next(), words.next()) else {
                continue;
            };
            let Ok(number) = num.parse::<u32>() else {
                continue;
            };
            if self.etc_rpc.iter().any(|(n, _, _)| *n == number) {
                continue;
            }
            let aliases = words.map(str::to_string).collect();
            self.etc_rpc.push((number, name.to_string(), aliases));
        }
    }

    /// The definition of (program, version), if any.
    pub fn version(&self, program: u32, version: u32) -> Option<&VersionEntry> {
        self.versions
            .binary_search_by_key(&(program, version), |e| (e.program, e.version))
            .ok()
            .map(|i| &self.versions[i])
    }

    /// Every defined version, sorted by (program, version).
    pub fn versions(&self) -> &[VersionEntry] {
        &self.versions
    }

    /// The name of a program: the built-in `/etc/rpc` spelling, else the
    /// system's `/etc/rpc`, else the `.x` program block's name.
    pub fn program_name(&self, program: u32) -> Option<&str> {
        super::program_name(program)
            .or_else(|| {
                self.etc_rpc
                    .iter()
                    .find(|(n, _, _)| *n == program)
                    .map(|(_, name, _)| name.as_str())
            })
            .or_else(|| {
                let i = self.versions.partition_point(|e| e.program < program);
                let e = self.versions.get(i).filter(|e| e.program == program)?;
                Some(e.program_block_name())
            })
    }

    /// The number of a program name or alias (any case): built-in names,
    /// `/etc/rpc` names and aliases, `.x` program block names.
    pub fn program_by_name(&self, name: &str) -> Option<u32> {
        super::program_by_name(name)
            .or_else(|| {
                self.etc_rpc
                    .iter()
                    .find(|(_, n, aliases)| {
                        n.eq_ignore_ascii_case(name)
                            || aliases.iter().any(|a| a.eq_ignore_ascii_case(name))
                    })
                    .map(|(num, _, _)| *num)
            })
            .or_else(|| {
                self.versions
                    .iter()
                    .find(|e| e.program_block_name().eq_ignore_ascii_case(name))
                    .map(|e| e.program)
            })
    }

    /// The name of a procedure: from the `.x` definition when there is one,
    /// else the built-in table; procedure 0 of any program is `NULL`
    /// (RFC 5531 section 12).
    pub fn procedure_name(&self, program: u32, version: u32, procedure: u32) -> Option<&str> {
        if let Some(e) = self.version(program, version) {
            if let Some(p) = e.procedure(procedure) {
                return Some(&p.display);
            }
        }
        super::procedure_name(program, version, procedure).or((procedure == 0).then_some("NULL"))
    }

    /// The number of a procedure by display or `.x` name (any case) in any
    /// version of `program` (or of every program when `None`).
    pub fn procedure_by_name(&self, program: Option<u32>, name: &str) -> Option<u32> {
        self.versions
            .iter()
            .filter(|e| program.is_none_or(|p| p == e.program))
            .flat_map(|e| e.version_def().procedures.iter())
            .find(|p| p.display.eq_ignore_ascii_case(name) || p.name.eq_ignore_ascii_case(name))
            .map(|p| p.number)
    }

    /// The name of a status value (an enum of the exchange's program).
    pub fn status_name(&self, program: u32, version: u32, ty: TypeId, value: i32) -> Option<&str> {
        let e = self.version(program, version)?;
        match e.schema().resolve(ty).1 {
            super::schema::Kind::Enum(en) => en.name_of(value),
            _ => None,
        }
    }

    /// True when some loaded type has `role` (used to skip work nobody needs).
    pub fn any_role(&self, role: Role) -> bool {
        self.versions.iter().any(|e| e.roles().any(role))
    }
}
