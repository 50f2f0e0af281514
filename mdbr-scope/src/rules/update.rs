//! Update documents and update pipelines: `app_id` can never be changed.

use bson::{Bson, Document, doc};
use mongodb::options::UpdateModifications;

use crate::error::{Error, Result};
use crate::rules::document::{check_field_names, check_value_names};
use crate::rules::filter::{check_forbidden, walk_value};
use crate::rules::{APP_ID, ScopeRules};

/// Update operators accepted in operator-form updates.
pub const UPDATE_OPERATORS: &[&str] = &[
    "$set",
    "$unset",
    "$inc",
    "$mul",
    "$min",
    "$max",
    "$rename",
    "$currentDate",
    "$setOnInsert",
    "$push",
    "$addToSet",
    "$pop",
    "$pull",
    "$pullAll",
    "$bit",
];

/// Stages accepted in pipeline-form updates (MongoDB's own list).
pub const UPDATE_PIPELINE_STAGES: &[&str] =
    &["$addFields", "$set", "$project", "$unset", "$replaceRoot", "$replaceWith"];

impl ScopeRules {
    /// The update sent to the server. Operator form: any operator touching
    /// `app_id` (or a path under it) is refused. Pipeline form: the stages are
    /// checked and a final `{$set: {app_id: owner}}` is appended.
    pub fn prepare_update(&self, update: UpdateModifications) -> Result<UpdateModifications> {
        self.ensure_writable("update")?;
        match update {
            UpdateModifications::Document(d) => {
                check_update_document(&d)?;
                Ok(UpdateModifications::Document(d))
            }
            UpdateModifications::Pipeline(stages) => Ok(UpdateModifications::Pipeline(
                self.prepare_update_pipeline(stages, "update pipeline")?,
            )),
            other => Err(Error::invalid(format!("unsupported update form: {other:?}"))),
        }
    }

    /// Checks an update pipeline (also used for `$merge.whenMatched`) and
    /// appends the stage that pins `app_id` to the owner.
    pub(crate) fn prepare_update_pipeline(
        &self,
        stages: Vec<Document>,
        what: &str,
    ) -> Result<Vec<Document>> {
        let mut out = Vec::with_capacity(stages.len() + 1);
        for (i, stage) in stages.into_iter().enumerate() {
            let name = crate::rules::pipeline::stage_name(&stage, i)?;
            if !UPDATE_PIPELINE_STAGES.contains(&name) {
                return Err(Error::invalid(format!(
                    "{what} stage {i}: `{name}` is not allowed; use one of {}",
                    UPDATE_PIPELINE_STAGES.join(", ")
                )));
            }
            check_forbidden(&stage, what)?;
            out.push(stage);
        }
        out.push(doc! { "$set": { APP_ID: self.owner.as_str() } });
        Ok(out)
    }
}

/// Checks an operator-form update document.
pub(crate) fn check_update_document(update: &Document) -> Result<()> {
    if update.is_empty() {
        return Err(Error::invalid("update document is empty"));
    }
    let operators = update.keys().filter(|k| k.starts_with('$')).count();
    if operators == 0 {
        return Err(Error::invalid(
            "update document has no update operators; use replace_one to replace a whole document",
        ));
    }
    if operators != update.len() {
        let field =
            update.keys().find(|k| !k.starts_with('$')).map(String::as_str).unwrap_or_default();
        return Err(Error::invalid(format!(
            "update document mixes update operators with the plain field `{field}`"
        )));
    }
    for (op, spec) in update {
        if !UPDATE_OPERATORS.contains(&op.as_str()) {
            return Err(Error::invalid(format!("unknown update operator `{op}`")));
        }
        let Bson::Document(fields) = spec else {
            return Err(Error::invalid(format!(
                "`{op}` takes a document of fields, not {}",
                type_name(spec)
            )));
        };
        for (path, value) in fields {
            check_update_path(op, path)?;
            if op == "$rename" {
                let Bson::String(target) = value else {
                    return Err(Error::invalid(format!(
                        "`$rename` of `{path}` needs a string target"
                    )));
                };
                check_update_path(op, target)?;
            }
            match op.as_str() {
                // These take modifiers (`$each`, `$slice`, …) or query
                // conditions as keys; plain keys below them are still checked.
                "$push" | "$addToSet" | "$pull" => {
                    if let Bson::Document(d) = value {
                        for (k, v) in d.iter().filter(|(k, _)| !k.starts_with('$')) {
                            check_field_names(
                                &Document::from_iter([(k.clone(), v.clone())]),
                                op,
                                1,
                            )?;
                        }
                    }
                }
                _ => check_value_names(value, op, 1)?,
            }
            walk_value(value, "update", 1)?;
        }
    }
    Ok(())
}

fn check_update_path(op: &str, path: &str) -> Result<()> {
    let first = path.split('.').next().unwrap_or_default();
    if first == APP_ID {
        return Err(Error::violation(format!(
            "`{op}` on `{path}` is refused: `app_id` cannot be changed"
        )));
    }
    for segment in path.split('.') {
        let positional = segment == "$" || (segment.starts_with("$[") && segment.ends_with(']'));
        if segment.starts_with('$') && !positional {
            return Err(Error::invalid(format!(
                "`{op}` path `{path}`: field names must not start with `$`"
            )));
        }
    }
    Ok(())
}

fn type_name(value: &Bson) -> &'static str {
    match value {
        Bson::Array(_) => "an array",
        Bson::String(_) => "a string",
        Bson::Null => "null",
        Bson::Boolean(_) => "a boolean",
        Bson::Int32(_) | Bson::Int64(_) | Bson::Double(_) | Bson::Decimal128(_) => "a number",
        _ => "a non-document value",
    }
}
