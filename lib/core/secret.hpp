// Secrets (passwords, API secrets) are never written in the config text: the
// config names a file (`*_file`) or an environment variable (`*_env`).
//
// A relative file path is looked up in $CREDENTIALS_DIRECTORY when systemd set
// it (LoadCredential=), else relative to the working directory. One trailing
// newline is stripped; a file over 64 KiB is refused (Errc::invalid_input)
// before it is read whole. The file is read straight into the returned string
// (no stream buffer keeps a copy): wipe() it (core/hardening.hpp) once it is
// no longer needed. Error messages name the config key and the path or
// variable, never the secret.
#pragma once

#include <optional>
#include <string>

#include "core/result.hpp"

namespace emsync {

struct SecretRef {
  std::optional<std::string> file;  // from "<key>_file"
  std::optional<std::string> env;   // from "<key>_env"
};

// `what` names the secret in errors, e.g. "destination 'emarsys' secret".
Result<std::string> load_secret(const SecretRef& ref, const std::string& what);

}  // namespace emsync
