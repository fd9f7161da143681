//! Program blocks: numbers, duplicates, signatures, sorted versions and
//! procedures.

use super::*;

impl<'a> Builder<'a> {
    // ---- programs ----------------------------------------------------------

    pub(super) fn number(&mut self, n: &At<Value>, what: &str) -> Result<u32, Diag> {
        let v = self.value_of(&n.item, n.pos, 0)?;
        u32::try_from(v).map_err(|_| {
            Diag::new(
                n.pos,
                format!("{what} number {v} is not an unsigned 32-bit value"),
            )
        })
    }

    pub(super) fn sig_type(&mut self, s: &'a Sig) -> Result<TypeId, Diag> {
        match s.shape {
            Shape::Plain => self.spec_type(&s.spec, s.pos),
            _ => {
                let kind = self.shape_kind(&s.spec, s.pos, &s.shape)?;
                self.anon(kind, s.pos)
            }
        }
    }

    pub(super) fn dup<K: std::hash::Hash + Eq + std::fmt::Display>(
        &self,
        seen: &mut HashMap<K, Pos>,
        key: K,
        at: Pos,
        what: &str,
    ) -> Result<(), Diag> {
        if let Some(&first) = seen.get(&key) {
            return Err(Diag::new(
                at,
                format!("duplicate {what} {key} (first at {})", self.at(first)),
            ));
        }
        seen.insert(key, at);
        Ok(())
    }

    pub(super) fn programs(&mut self, defs: &'a [Def]) -> Result<(), Diag> {
        // One program number may be split over several blocks (portmap v2
        // and rpcbind v3/v4 are both program 100000, as in RFC 1833); each
        // (program, version) is defined once.
        let mut vnums = HashMap::new();
        let mut names = HashMap::new();
        for def in defs {
            let Def::Program(p) = def else { continue };
            let number = self.number(&p.number, "program")?;
            self.dup(
                &mut names,
                format!("`{}`", p.name.item),
                p.name.pos,
                "program",
            )?;
            let mut versions = Vec::with_capacity(p.versions.len());
            let mut vnames = HashMap::new();
            for v in &p.versions {
                let vnum = self.number(&v.number, "version")?;
                self.dup(
                    &mut vnums,
                    format!("{vnum} of program {number}"),
                    v.number.pos,
                    "version number",
                )?;
                self.dup(
                    &mut vnames,
                    format!("`{}`", v.name.item),
                    v.name.pos,
                    "version",
                )?;
                let mut procedures = Vec::with_capacity(v.procedures.len());
                let (mut pnums, mut pnames) = (HashMap::new(), HashMap::new());
                for pr in &v.procedures {
                    let pnum = self.number(&pr.number, "procedure")?;
                    self.dup(&mut pnums, pnum, pr.number.pos, "procedure number")?;
                    self.dup(
                        &mut pnames,
                        format!("`{}`", pr.name.item),
                        pr.name.pos,
                        "procedure",
                    )?;
                    let result = self.sig_type(&pr.result)?;
                    let mut args = Vec::with_capacity(pr.args.len());
                    for a in &pr.args {
                        args.push(self.sig_type(a)?);
                    }
                    procedures.push(ProcDef {
                        name: pr.name.item.clone(),
                        display: display_name(&pr.name.item).to_string(),
                        number: pnum,
                        args,
                        result,
                    });
                }
                procedures.sort_by_key(|p| p.number);
                versions.push(VersionDef {
                    name: v.name.item.clone(),
                    number: vnum,
                    procedures,
                });
            }
            versions.sort_by_key(|v| v.number);
            self.schema.programs.push(ProgramDef {
                name: p.name.item.clone(),
                number,
                versions,
            });
        }
        Ok(())
    }
}
