//! Terraform habits on the command line: the single-dash spellings Terraform users type
//! (`-out=F`, `-auto-approve`, `-target=X`, ...) rewritten to gcsync's flags before clap
//! parses them, and every other single-dash word refused with a hint (clap would otherwise
//! read `-out=plan.json` as `-o` with the value `ut=plan.json`).
//!
//! Owns: [`terraform_aliases`] (argv in, argv or a refusal out). Must not: know what a
//! command does; whether a flag exists is asked of the clap definition itself, so an alias
//! maps only onto a flag the command really has.

use crate::exit::CliError;
use clap::CommandFactory;
use std::ffi::OsString;

/// The Terraform flags gcsync accepts with one dash (README "Terraform habits").
pub const TERRAFORM_WORDS: [&str; 8] = [
    "out",
    "auto-approve",
    "detailed-exitcode",
    "target",
    "json",
    "no-color",
    "lock-timeout",
    "refresh-only",
];

/// Short flags that take no value and may be stacked (`-vv`, `-qv`).
const STACKABLE: [char; 2] = ['v', 'q'];

/// Rewrites Terraform's single-dash flags in `args` (the program name first) to gcsync's:
/// `-WORD[=V]` becomes `--WORD[=V]` when WORD is one of [`TERRAFORM_WORDS`] and the command
/// has `--WORD`; `-no-color` becomes `--color=never`; on `drift`, `-refresh-only` and
/// `-detailed-exitcode` are dropped (drift is a refresh-only plan that exits 2 on drift).
/// Any other single-dash word (two or more letters) is refused, naming the flag to use.
/// Nothing after a literal `--` is touched.
///
/// # Errors
/// A single-dash word gcsync does not accept, with a hint that runs as printed.
pub fn terraform_aliases(args: Vec<OsString>) -> Result<Vec<OsString>, CliError> {
    let root = super::Cli::command();
    let typed: Vec<String> = args.iter().skip(1).map(|a| a.to_string_lossy().into_owned()).collect();
    let mut out = Vec::with_capacity(args.len());
    let mut path: Vec<String> = Vec::new(); // the subcommands seen so far
    let mut iter = args.into_iter();
    if let Some(program) = iter.next() {
        out.push(program);
    }
    let mut skip_value = false;
    let mut rest_verbatim = false;
    for (index, arg) in iter.enumerate() {
        if rest_verbatim || skip_value {
            skip_value = false;
            out.push(arg);
            continue;
        }
        let Some(text) = arg.to_str().map(str::to_string) else {
            out.push(arg);
            continue;
        };
        let cmd = current(&root, &path);
        if text == "--" {
            rest_verbatim = true;
            out.push(arg);
            continue;
        }
        if let Some(long) = text.strip_prefix("--") {
            // A value-taking long flag written without `=` takes the next word as its value.
            if !long.contains('=') && takes_value(cmd, &root, |a| a.get_long() == Some(long)) {
                skip_value = true;
            }
            out.push(arg);
            continue;
        }
        let Some(word_and_value) = text.strip_prefix('-') else {
            if cmd.find_subcommand(&text).is_some() {
                path.push(text);
            }
            out.push(arg);
            continue;
        };
        let (word, value) = match word_and_value.split_once('=') {
            Some((w, v)) => (w, Some(v)),
            None => (word_and_value, None),
        };
        let is_word = word.len() >= 2
            && word.starts_with(|c: char| c.is_ascii_alphabetic())
            && word.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
        if !is_word || (value.is_none() && word.chars().all(|c| STACKABLE.contains(&c))) {
            // `-v`, `-vv`, `-m`, `-oplan.json`, `-1`: clap's own short-flag syntax.
            if let Some(c) = word.chars().next()
                && word.len() == 1
                && value.is_none()
                && takes_value(cmd, &root, |a| a.get_short() == Some(c))
            {
                skip_value = true;
            }
            out.push(arg);
            continue;
        }
        let sub = path.join(" ");
        let shown = if sub.is_empty() { "gcsync".to_string() } else { format!("gcsync {sub}") };
        if !TERRAFORM_WORDS.contains(&word) {
            let hint = if has_long(cmd, &root, word) {
                let fixed: Vec<String> = typed
                    .iter()
                    .enumerate()
                    .map(|(i, a)| if i == index { format!("-{a}") } else { a.clone() })
                    .map(|a| shell_quote(&a))
                    .collect();
                format!("gcsync's long flags take two dashes: `gcsync {}`", fixed.join(" "))
            } else {
                format!(
                    "gcsync's long flags take two dashes and a short flag takes its value after a space (`-m DIR`); `{shown} --help` lists them"
                )
            };
            return Err(CliError::new(format!("`{shown}` has no flag `-{word}`")).hint(hint));
        }
        match (word, path.first().map(String::as_str)) {
            ("no-color", _) => out.push("--color=never".into()),
            ("refresh-only" | "detailed-exitcode", Some("drift")) => {
                // drift is Terraform's `plan -refresh-only -detailed-exitcode` already.
            }
            ("refresh-only", _) => {
                return Err(CliError::new(format!("`{shown}` has no refresh-only mode")).hint(
                    "Terraform's `plan -refresh-only` is `gcsync drift`: it compares the org with the state and exits 2 on drift",
                ));
            }
            _ if has_long(cmd, &root, word) => {
                if value.is_none() && takes_value(cmd, &root, |a| a.get_long() == Some(word)) {
                    skip_value = true;
                }
                out.push(format!("--{word_and_value}").into());
            }
            _ => {
                return Err(CliError::new(format!(
                    "`{shown}` has no `--{word}`, so Terraform's `-{word}` has no meaning here"
                ))
                .hint(format!("`{shown} --help` lists the flags it has")));
            }
        }
    }
    Ok(out)
}

/// `a` as a POSIX shell word (quoted only when it has to be).
fn shell_quote(a: &str) -> String {
    if !a.is_empty() && a.chars().all(|c| c.is_ascii_alphanumeric() || "-_./=:,@%+".contains(c)) {
        a.to_string()
    } else {
        format!("'{}'", a.replace('\'', "'\\''"))
    }
}

/// The (sub)command `path` names.
fn current<'c>(root: &'c clap::Command, path: &[String]) -> &'c clap::Command {
    let mut cmd = root;
    for p in path {
        match cmd.find_subcommand(p) {
            Some(c) => cmd = c,
            None => break,
        }
    }
    cmd
}

/// Whether `cmd` (or a global flag of the root) has `--long`.
fn has_long(cmd: &clap::Command, root: &clap::Command, long: &str) -> bool {
    cmd.get_arguments().chain(root.get_arguments()).any(|a| a.get_long() == Some(long))
}

/// Whether the flag `which` selects (on `cmd` or a global of the root) takes a value.
fn takes_value(cmd: &clap::Command, root: &clap::Command, which: impl Fn(&clap::Arg) -> bool) -> bool {
    cmd.get_arguments()
        .chain(root.get_arguments())
        .find(|a| which(a))
        .is_some_and(|a| a.get_action().takes_values() && !a.is_positional())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rw(args: &str) -> Result<String, String> {
        let argv: Vec<OsString> =
            std::iter::once("gcsync").chain(args.split(' ')).map(OsString::from).collect();
        terraform_aliases(argv)
            .map(|v| v.iter().skip(1).map(|s| s.to_string_lossy().into_owned()).collect::<Vec<_>>().join(" "))
            // An argument error without a hint adds nothing after the bar.
            .map_err(|e| format!("{} | {}", e.message, e.hint.unwrap_or_default()))
    }

    #[test]
    fn terraform_spellings_become_gcsync_flags() {
        assert_eq!(rw("plan -out=plan.json").unwrap(), "plan --out=plan.json");
        assert_eq!(rw("plan -out plan.json").unwrap(), "plan --out plan.json");
        assert_eq!(
            rw("plan -detailed-exitcode -target=A -json").unwrap(),
            "plan --detailed-exitcode --target=A --json"
        );
        assert_eq!(rw("apply -auto-approve p.json").unwrap(), "apply --auto-approve p.json");
        assert_eq!(rw("-no-color plan").unwrap(), "--color=never plan");
        assert_eq!(rw("plan -no-color").unwrap(), "plan --color=never");
        assert_eq!(rw("drift -refresh-only -detailed-exitcode -json").unwrap(), "drift --json");
        assert_eq!(rw("--env prod apply -target X").unwrap(), "--env prod apply --target X");
    }

    #[test]
    fn short_flags_and_values_are_left_to_clap() {
        assert_eq!(rw("-vv plan -o p.json -m dir").unwrap(), "-vv plan -o p.json -m dir");
        assert_eq!(rw("-q validate -m -weird-dir").unwrap(), "-q validate -m -weird-dir");
        assert_eq!(rw("plan -oplan.json").unwrap(), "plan -oplan.json");
        assert_eq!(rw("plan --target -odd-name").unwrap(), "plan --target -odd-name");
        assert_eq!(rw("test A --input n=-abc -- -json").unwrap(), "test A --input n=-abc -- -json");
    }

    #[test]
    fn other_single_dash_words_are_refused_with_a_hint() {
        let e = rw("plan -allow-replace").unwrap_err();
        assert!(e.contains("`gcsync plan` has no flag `-allow-replace`"), "{e}");
        assert!(e.contains("`gcsync plan --allow-replace`"), "{e}");
        let e = rw("--env prod apply -allow-replace --target=A B").unwrap_err();
        assert!(e.contains("`gcsync --env prod apply --allow-replace --target=A B`"), "{e}");
        assert_eq!(shell_quote("it's"), "'it'\\''s'");
        let e = rw("plan -var-file=x").unwrap_err();
        assert!(e.contains("no flag `-var-file`") && e.contains("`gcsync plan --help`"), "{e}");
        let e = rw("validate -mmanifests").unwrap_err();
        assert!(e.contains("`-m DIR`"), "{e}");
    }

    #[test]
    fn terraform_words_without_a_gcsync_flag_are_refused() {
        let e = rw("plan -refresh-only").unwrap_err();
        assert!(e.contains("gcsync drift"), "{e}");
        let e = rw("validate -auto-approve").unwrap_err();
        assert!(e.contains("`gcsync validate` has no `--auto-approve`"), "{e}");
        // `-lock-timeout` maps only where `--lock-timeout` exists.
        let has = super::super::Cli::command()
            .find_subcommand("apply")
            .is_some_and(|c| c.get_arguments().any(|a| a.get_long() == Some("lock-timeout")));
        let r = rw("apply -lock-timeout=5s");
        if has {
            assert_eq!(r.unwrap(), "apply --lock-timeout=5s");
        } else {
            assert!(r.unwrap_err().contains("has no `--lock-timeout`"));
        }
    }
}
