# bash completion for dmctl.
#
# dmctl prints the candidates for the word being typed when given the
# words so far, that word last, and --generate-bash-completion: commands,
# flags, --output's values, columns for -o, device names for the dmsetup
# verbs and --uuid, thin device ids for the pool verbs and --origin. When it
# offers nothing, file names are completed.
_dmctl() {
	local cur words cword
	if declare -F _get_comp_words_by_ref >/dev/null; then
		# Device names hold ':' (docker-8:1-1234-pool): not a word break.
		_get_comp_words_by_ref -n =: cur words cword
	else
		cur=${COMP_WORDS[COMP_CWORD]}
		words=("${COMP_WORDS[@]}")
		cword=$COMP_CWORD
	fi
	local IFS=$'\n' cands
	cands=$("${words[0]}" "${words[@]:1:cword}" --generate-bash-completion 2>/dev/null)
	if [[ -n $cands ]]; then
		COMPREPLY=($(compgen -W "$cands" -- "$cur"))
		if declare -F __ltrim_colon_completions >/dev/null; then
			__ltrim_colon_completions "$cur"
		fi
	else
		COMPREPLY=($(compgen -f -- "$cur"))
		compopt -o filenames 2>/dev/null
	fi
}
complete -F _dmctl dmctl
