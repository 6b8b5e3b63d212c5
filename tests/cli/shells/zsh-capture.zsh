# Sourced by an interactive zsh under zpty (see zsh-complete.zsh): installs the shipped
# `_mpo` the documented way (its directory on fpath, then compinit), and writes every
# candidate the completion system accepts to $MPO_OUT.
PROMPT=''
fpath=(${MPO_SCRIPT:h} $fpath)
autoload -Uz compinit && compinit -u -D
compadd() {
  # Calls that only query (-O, -A, -D) are compsys internals: pass them through.
  if [[ ${@[1,(i)(-|--)]} == *-(O|A|D)\ * ]]; then
    builtin compadd "$@"
    return
  fi
  local -a hits
  builtin compadd -A hits "$@"
  (( $#hits )) && print -rl -- $hits >> $MPO_OUT
}
_mpo_done() { : >> $MPO_OUT.done; exit }
comppostfuncs=(_mpo_done)
bindkey '^I' complete-word
