"""The retention service's rules, pure: which backups a policy keeps (`rules.plan`), what a
stored policy is (`policies`), what a database's history says (`history`), and how a refusal
names a policy's users (`usage`)."""
