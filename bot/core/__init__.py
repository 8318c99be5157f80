"""The core layer: what every feature and door may use, and which imports nothing of them (only the models).

- `blueprint`: the staff console's blueprint, which every feature's `console.py` hangs its views on;
- `access`: who may open a staff view (`requires(role)`);
- `limits`: the staff members' hourly budgets on costly console doors;
- `problems`: one vocabulary for what is wrong with something staff wrote, in Japanese;
- `textrules`: the text rules (slug, URL, control characters, lengths), written once;
- `audit`: the audit log;
- `version`: the content version every worker compares its caches against (`current_version`, `bump_version`);
- `revisions`: the numbered copies of entries and offices, and the field-by-field diffs the history pages show;
- `labels`: the Japanese names of stored codes (audit actions, fields, values…), a registry each feature fills;
- `ratelimit`: the shared limiter in the database (public forms, logins, console doors);
- `security`: the security headers every page carries.
"""
