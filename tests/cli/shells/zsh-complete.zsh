# zsh -f zsh-complete.zsh CAPTURE LINE: type LINE and TAB into an interactive zsh, wait for
# completion to finish, print the candidates. Needs MPO_SCRIPT and MPO_OUT in the environment.
zmodload zsh/zpty
zpty shell zsh -f -i
zpty -w shell "source ${(q)1}"
zpty -w -n shell "$2"$'\t'
repeat 300; do [[ -e $MPO_OUT.done ]] && break; sleep 0.1; done
zpty -d shell
[[ -e $MPO_OUT.done ]] || { print -u2 "zsh: completion did not finish"; exit 1 }
[[ ! -e $MPO_OUT ]] || cat $MPO_OUT
