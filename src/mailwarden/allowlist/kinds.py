"""The kinds of allowlist entries and their actions (shared by the parsers, the patterns and the results)."""

#: Entry kinds.
ADDRESS = "address"  # one mailbox: alice@example.com
DOMAIN = "domain"  # every address at a domain: *@example.com, @example.com
SUBDOMAINS = "subdomains"  # every address under a domain's subdomains: *.example.com
DOMAIN_TREE = "domain-tree"  # the domain and its subdomains (Postfix "example.com", rspamd tld filter)
LOCALPART = "localpart"  # a local part at any domain (Postfix "user@")
WILDCARD = "wildcard"  # any other glob
REGEX = "regex"  # a regular expression (rspamd, Sieve :regex, Postfix regexp/pcre)
EXTERNAL = "external-map"  # a reference to a map file that was not inspected

ALLOW = "allow"
BLOCK = "block"
