# bash completion for emsyncctl (/usr/share/bash-completion/completions/emsyncctl).
# Completes the commands (read from `emsyncctl --help`, so a new command needs
# no edit here), the options (of emsyncctl, or of the command: its --help),
# and the activation name a command takes as its first operand, read from the
# running daemon (`emsyncctl list`, 2 s at most; the socket of the command
# line, else $EMSYNC_SOCKET, else the default). Without a reachable daemon
# there are no names to offer: nothing is printed and nothing hangs.

# The commands: the lines under "Subcommands:" in `emsyncctl --help`.
_emsyncctl_commands() {
  "$1" --help 2>/dev/null | awk '/^Subcommands:/ {on = 1; next} on && /^[^ ]/ {on = 0} on && NF {print $1}'
}

# The options of `emsyncctl COMMAND` (its --help), or of emsyncctl itself.
_emsyncctl_options() {
  "$@" --help 2>/dev/null | grep -o -- '--[a-z][a-z-]*' | sort -u
}

# The activation names (the NAME column of `emsyncctl list`), from the socket
# given on the command line, else $EMSYNC_SOCKET, else the default.
_emsyncctl_activations() {
  local ctl=$1 socket=$2
  "$ctl" ${socket:+--socket "$socket"} --timeout 2 list 2>/dev/null </dev/null |
    awk 'NR > 1 && $1 ~ /^[A-Za-z0-9._-]+$/ {print $1}'
}

_emsyncctl() {
  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
  local ctl=${COMP_WORDS[0]} socket="" command="" operands=0 i word
  COMPREPLY=()
  case $prev in
    --socket)
      mapfile -t COMPREPLY < <(compgen -f -- "$cur")
      return
      ;;
    -t | --timeout | --limit | --offset | --kind | --email | --after)
      return
      ;;
  esac
  for ((i = 1; i < COMP_CWORD; i++)); do
    word=${COMP_WORDS[i]}
    case $word in
      --socket) socket=${COMP_WORDS[i + 1]}; ((i++)) ;;
      --socket=*) socket=${word#--socket=} ;;
      -t | --timeout) ((i++)) ;;
      -*) ;;
      *) if [[ -z $command ]]; then command=$word; else ((operands++)); fi ;;
    esac
  done
  if [[ $cur == -* ]]; then
    mapfile -t COMPREPLY < <(compgen -W "$(_emsyncctl_options "$ctl" ${command:+"$command"})" -- "$cur")
    return
  fi
  case $command in
    "")
      mapfile -t COMPREPLY < <(compgen -W "$(_emsyncctl_commands "$ctl")" -- "$cur")
      ;;
    apply)
      mapfile -t COMPREPLY < <(compgen -f -- "$cur")
      ;;
    ping | status | list | reload | audit) ;;
    *)
      ((operands == 0)) || return
      mapfile -t COMPREPLY < <(compgen -W "$(_emsyncctl_activations "$ctl" "$socket")" -- "$cur")
      ;;
  esac
}
complete -F _emsyncctl emsyncctl
