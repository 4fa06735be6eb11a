# awk -v known=KNOWN-DIFFERENCES -v scen=NAME -v kv=KV [-v masked=FILE] -f normalize.awk OUTPUT
# Prints a scenario's OUTPUT as it is compared with a golden file:
#  - steps listed for this scenario (and kernel) in KNOWN-DIFFERENCES are
#    left out, and written to the file `masked` as "PATTERN<TAB>LINE";
#  - a step named "~..." (its values depend on the IOMMU model) keeps only
#    its name, ret= and errno=.
# KNOWN-DIFFERENCES lines: "SCENARIO[@KV] STEP-PATTERN REASON...", where
# the pattern may use * and ? as the shell does; # starts a comment.
function glob_re(p) {
	gsub(/[.+^$(){}|\\[\]]/, "\\\\&", p)
	gsub(/\*/, ".*", p)
	gsub(/\?/, ".", p)
	return "^" p "$"
}
BEGIN {
	while ((getline line < known) > 0) {
		if (line ~ /^[ \t]*(#|$)/)
			continue
		split(line, f, /[ \t]+/)
		n = split(f[1], sk, "@")
		if (sk[1] != scen || (n > 1 && sk[2] != kv))
			continue
		pats[++npats] = f[2]
		res[npats] = glob_re(f[2])
	}
	close(known)
}
{
	for (i = 1; i <= npats; i++) {
		if ($1 ~ res[i]) {
			if (masked != "")
				print pats[i] "\t" $0 > masked
			next
		}
	}
	if ($1 ~ /^~/ && $3 ~ /^errno=/) {
		print $1 " " $2 " " $3
		next
	}
	print
}
