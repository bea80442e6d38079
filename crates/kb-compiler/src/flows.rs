//! Parsing and validating guided flows (`knowledge/flows/<locale>/<id>.md`, format in
//! `knowledge/FORMAT.md`): unknown targets, unreachable steps and loops without an exit are
//! errors with the line of the step.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use kb_core::entry::Audience;
use kb_core::flow::{Action, Choice, Condition, Flow, Slot, Step};
use kb_core::pattern::Pattern;
use kb_core::Locale;

use crate::frontmatter::{split, Field, Value};
use crate::knowledge::{is_safe_url, SourceEntry};
use crate::markets;
use crate::Diagnostic;

fn text<'a>(fields: &'a BTreeMap<String, Field>, key: &str) -> Option<&'a str> {
    match fields.get(key) {
        Some(Field { value: Value::Text(t), .. }) => Some(t),
        _ => None,
    }
}

/// Parses one flow file, reporting problems into `diags`; `None` if it has errors.
///
/// ```
/// let doc = "---\nid: f\nlocale: en\ntitle: F\nstart: a\n---\n## a\nHi\n- Go -> b\n## b\n=> end\n";
/// let mut diags = Vec::new();
/// let flow = kb_compiler::flows::parse_flow("f.md".as_ref(), doc, &mut diags).unwrap();
/// assert_eq!(flow.steps.len(), 2);
/// assert!(diags.is_empty());
/// ```
pub fn parse_flow(path: &Path, doc: &str, diags: &mut Vec<Diagnostic>) -> Option<Flow> {
    let (fields, body, body_line) = match split(doc) {
        Ok(p) => p,
        Err(e) => {
            diags.push(Diagnostic::error(path, e.line, e.message));
            return None;
        }
    };
    let before = diags.iter().filter(|d| d.is_error()).count();
    let mut need = |key: &str| {
        let v = text(&fields, key).map(str::to_string);
        if v.is_none() {
            diags.push(Diagnostic::error(path, 1, format!("missing field `{key}`")));
        }
        v
    };
    let (id, locale, title, start) = (need("id"), need("locale"), need("title"), need("start"));
    let locale = locale.and_then(|l| match l.parse::<Locale>() {
        Ok(l) => Some(l),
        Err(e) => {
            diags.push(Diagnostic::error(path, fields["locale"].line, e.to_string()));
            None
        }
    });
    let audience = match text(&fields, "audience").map(str::parse::<Audience>) {
        None => Audience::All,
        Some(Ok(a)) => a,
        Some(Err(e)) => {
            diags.push(Diagnostic::error(path, fields["audience"].line, e));
            Audience::All
        }
    };

    let markets = markets::declared(path, fields.get("markets"), diags);
    // Each step's message lines, market markers included, resolved once the step is complete.
    let mut steps: Vec<(usize, Step, Vec<markets::Line<'_>>)> = Vec::new();
    let mut in_block = false;
    for (i, raw) in body.lines().enumerate() {
        let line_no = body_line + i;
        let line = raw.trim_end();
        if let Some(step_id) = line.strip_prefix("## ") {
            let step_id = step_id.trim();
            if steps.iter().any(|(_, s, _)| s.id == step_id) {
                diags.push(Diagnostic::error(path, line_no, format!("step `{step_id}` is defined twice")));
            }
            steps.push((line_no, Step { id: step_id.to_string(), ..Step::default() }, Vec::new()));
            in_block = false;
            continue;
        }
        let trimmed = line.trim();
        if trimmed.is_empty() && steps.is_empty() {
            continue;
        }
        let Some((_, step, message)) = steps.last_mut() else {
            diags.push(Diagnostic::error(path, line_no, "text before the first `## step` heading"));
            continue;
        };
        match markets::marker(trimmed) {
            Some(markets::Marker::Open(_)) => in_block = true,
            Some(markets::Marker::Close) => in_block = false,
            Some(markets::Marker::Malformed) | None => {}
        }
        if is_message(trimmed) {
            message.push((line_no, trimmed));
        } else if in_block {
            diags.push(Diagnostic::error(
                path,
                line_no,
                "only message text may vary by market: put choices, slots, conditions and actions outside `:::` blocks",
            ));
        } else if let Err(message) = parse_step_line(step, trimmed) {
            diags.push(Diagnostic::error(path, line_no, message));
        }
    }
    let (mut groups, mut resolved_all) = (0, true);
    for (_, step, message) in &mut steps {
        match markets::resolve(path, message, &markets, diags) {
            Some(resolved) => {
                groups += resolved.groups;
                step.message = resolved.default;
                step.variants = resolved.variants;
            }
            None => resolved_all = false,
        }
    }
    if resolved_all {
        markets::check_used(path, fields.get("markets").map_or(1, |f| f.line), &markets, groups, diags);
    }
    let steps: Vec<(usize, Step)> = steps.into_iter().map(|(line, step, _)| (line, step)).collect();
    if steps.is_empty() {
        diags.push(Diagnostic::error(path, body_line, "a flow needs at least one `## step`"));
    }
    if let Some(start) = &start {
        check_graph(path, start, &steps, diags);
    }
    if diags.iter().filter(|d| d.is_error()).count() > before {
        return None;
    }
    Some(Flow {
        id: id?,
        locale: locale?,
        title: title?,
        audience,
        start: start?,
        steps: steps.into_iter().map(|s| s.1).collect(),
    })
}

fn arrow(s: &str) -> Result<(&str, &str), String> {
    s.rsplit_once("->")
        .map(|(a, b)| (a.trim(), b.trim()))
        .filter(|(a, b)| !a.is_empty() && !b.is_empty())
        .ok_or_else(|| format!("expected `… -> step` in `{s}`"))
}

/// True for a line of a step's message (Markdown, or a market marker); false for the lines
/// [`parse_step_line`] reads: conditions, slots, actions and choices.
fn is_message(line: &str) -> bool {
    !(line.starts_with("@if ")
        || line.starts_with("? ")
        || line.starts_with("=> ")
        || line.strip_prefix("- ").is_some_and(|r| r.contains("->")))
}

/// Reads a line that is not message text (see [`is_message`]) into `step`.
fn parse_step_line(step: &mut Step, line: &str) -> Result<(), String> {
    if let Some(rest) = line.strip_prefix("@if ") {
        let (cond, target) = arrow(rest)?;
        let (key, value) = cond.split_once('=').ok_or("expected `@if key=value -> step`")?;
        step.conditions.push(Condition { key: key.trim().into(), value: value.trim().into(), target: target.into() });
    } else if let Some(rest) = line.strip_prefix("? ") {
        if step.slot.is_some() {
            return Err("a step may ask for one slot only".into());
        }
        let (spec, error) = rest.split_once('|').ok_or("expected `? slot pattern -> step | error message`")?;
        let (spec, target) = arrow(spec)?;
        let (name, pattern) = spec.split_once(' ').ok_or("expected `? slot pattern -> step | error message`")?;
        let pattern = pattern.trim();
        Pattern::parse(pattern).map_err(|e| format!("invalid slot pattern `{pattern}`: {e}"))?;
        step.slot = Some(Slot {
            name: name.into(),
            pattern: pattern.into(),
            target: target.into(),
            error: error.trim().into(),
        });
    } else if let Some(rest) = line.strip_prefix("=> ") {
        if step.action.is_some() {
            return Err("a step may have one action only".into());
        }
        let (kind, arg) = rest.trim().split_once(' ').map_or((rest.trim(), ""), |(k, a)| (k, a.trim()));
        step.action = Some(match (kind, arg) {
            ("entry", id) if !id.is_empty() => Action::Entry(id.into()),
            ("url", url) if is_safe_url(url) => Action::Url(url.into()),
            ("url", url) => return Err(format!("`{url}` is not an http(s) or mailto link")),
            ("handoff", "") => Action::Handoff,
            ("event", name) if !name.is_empty() => Action::Event(name.into()),
            ("end", "") => Action::End,
            _ => return Err(format!("unknown action `{rest}` (entry <id>, url <link>, handoff, event <name>, end)")),
        });
    } else if let Some(rest) = line.strip_prefix("- ") {
        let (label, target) = arrow(rest)?;
        step.choices.push(Choice { label: label.into(), target: target.into() });
    }
    Ok(())
}

fn targets(step: &Step) -> Vec<&str> {
    step.conditions
        .iter()
        .map(|c| c.target.as_str())
        .chain(step.choices.iter().map(|c| c.target.as_str()))
        .chain(step.slot.iter().map(|s| s.target.as_str()))
        .collect()
}

fn check_graph(path: &Path, start: &str, steps: &[(usize, Step)], diags: &mut Vec<Diagnostic>) {
    let ids: BTreeSet<&str> = steps.iter().map(|(_, s)| s.id.as_str()).collect();
    if !ids.contains(start) && !steps.is_empty() {
        diags.push(Diagnostic::error(path, 1, format!("start step `{start}` does not exist")));
        return;
    }
    for (line, s) in steps {
        for t in targets(s) {
            if !ids.contains(t) {
                diags.push(Diagnostic::error(path, *line, format!("step `{}` leads to missing step `{t}`", s.id)));
            }
        }
        if targets(s).is_empty() && s.action.is_none() {
            diags.push(Diagnostic::error(
                path,
                *line,
                format!("step `{}` is a dead end: give it choices, a slot or an action", s.id),
            ));
        }
    }
    // Reachable from the start.
    let mut reached: BTreeSet<&str> = BTreeSet::new();
    let mut todo = vec![start];
    while let Some(id) = todo.pop() {
        if !reached.insert(id) {
            continue;
        }
        if let Some((_, s)) = steps.iter().find(|(_, s)| s.id == id) {
            todo.extend(targets(s).into_iter().filter(|t| ids.contains(t)));
        }
    }
    for (line, s) in steps {
        if !reached.contains(s.id.as_str()) {
            diags.push(Diagnostic::error(path, *line, format!("step `{}` cannot be reached from `{start}`", s.id)));
        }
    }
    // Every step must be able to reach a terminal action: iterate to a fixed point.
    let mut exits: BTreeSet<&str> =
        steps.iter().filter(|(_, s)| s.action.is_some()).map(|(_, s)| s.id.as_str()).collect();
    loop {
        let before = exits.len();
        for (_, s) in steps {
            if targets(s).iter().any(|t| exits.contains(t)) {
                exits.insert(s.id.as_str());
            }
        }
        if exits.len() == before {
            break;
        }
    }
    for (line, s) in steps {
        let has_way_on = !targets(s).is_empty();
        if !exits.contains(s.id.as_str()) && has_way_on {
            diags.push(Diagnostic::error(
                path,
                *line,
                format!("step `{}` is in a loop with no way to finish the flow", s.id),
            ));
        }
    }
}

/// Checks that `=> entry` actions name entries that exist in the flow's locale.
pub fn check_targets(flows: &[Flow], entries: &[SourceEntry], root: &Path, diags: &mut Vec<Diagnostic>) {
    for f in flows {
        for s in &f.steps {
            if let Some(Action::Entry(id)) = &s.action {
                if !entries.iter().any(|e| &e.entry.id == id && e.entry.locale == f.locale) {
                    let path = root.join("flows").join(f.locale.code()).join(format!("{}.md", f.id));
                    diags.push(Diagnostic::error(
                        path,
                        1,
                        format!("step `{}` shows entry `{id}`, which does not exist in {}", s.id, f.locale),
                    ));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(doc: &str) -> Vec<String> {
        let mut d = Vec::new();
        parse_flow("f.md".as_ref(), doc, &mut d);
        d.into_iter().map(|d| format!("{}: {}", d.line, d.message)).collect()
    }

    const HEAD: &str = "---\nid: f\nlocale: en\ntitle: F\nstart: a\n---\n";

    #[test]
    fn missing_target_and_unreachable_step() {
        let e = errors(&format!("{HEAD}## a\n- go -> nowhere\n=> end\n## b\n=> end\n"));
        assert!(e.contains(&"7: step `a` leads to missing step `nowhere`".to_string()), "{e:?}");
        assert!(e.contains(&"10: step `b` cannot be reached from `a`".to_string()), "{e:?}");
    }

    #[test]
    fn loop_without_exit() {
        let e = errors(&format!("{HEAD}## a\n- on -> b\n## b\n- back -> a\n"));
        assert!(e.iter().any(|m| m.contains("loop with no way to finish")), "{e:?}");
    }

    const MARKET_HEAD: &str = "---\nid: f\nlocale: en\ntitle: F\nstart: a\nmarkets: [th]\n---\n";

    #[test]
    fn a_step_message_varies_by_market_and_its_choices_stay_shared() {
        let doc = format!("{MARKET_HEAD}## a\nReturns:\n::: market=default\n15 days.\n:::\n::: market=th\n7 days.\n:::\n- Go -> b\n## b\nBye.\n=> end\n");
        let mut diags = Vec::new();
        let flow = parse_flow("f.md".as_ref(), &doc, &mut diags).unwrap();
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(flow.steps[0].message, "Returns:\n15 days.");
        assert_eq!(
            flow.steps[0].variants,
            [kb_core::market::Variant { market: kb_core::Market::Th, text: "Returns:\n7 days.".into() }]
        );
        assert_eq!(flow.steps[0].choices.len(), 1);
        assert!(flow.steps[1].variants.is_empty(), "a step without blocks has no variants");
    }

    #[test]
    fn market_blocks_in_flows_are_checked() {
        let e = errors(&format!("{MARKET_HEAD}## a\n::: market=default\nx\n- Go -> b\n:::\n## b\n=> end\n"));
        assert!(e.iter().any(|m| m.starts_with("11: only message text may vary by market")), "{e:?}");
        assert!(e.iter().any(|m| m.starts_with("9: this group has no `::: market=th` block")), "{e:?}");
        let e = errors(&format!("{MARKET_HEAD}## a\n::: market=default\nx\n## b\n=> end\n"));
        assert!(e.contains(&"9: this block is never closed by a `:::` line".to_string()), "{e:?}");
        let e = errors(&format!("{MARKET_HEAD}## a\nHi\n=> end\n"));
        assert_eq!(e, ["6: `markets` is declared, but no `::: market=default` block varies the text"]);
    }

    #[test]
    fn bad_lines_are_reported_at_their_line() {
        let e = errors(&format!("{HEAD}## a\n=> teleport\n? id ## -> a\n"));
        assert!(e.iter().any(|m| m.starts_with("8: unknown action")), "{e:?}");
        assert!(e.iter().any(|m| m.starts_with("9: expected `? slot")), "{e:?}");
    }
}
