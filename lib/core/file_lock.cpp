#include "core/file_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace emsync {

Result<FileLock> FileLock::acquire(const std::string& path, const std::string& what) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return make_error(Errc::io_error, "cannot open the lock file " + path + " of " + what + ": " +
                                          std::strerror(errno));
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int error = errno;
    ::close(fd);
    if (error == EWOULDBLOCK) {
      return make_error(Errc::io_error, what + " is in use by another emsyncd (it holds " + path +
                                            "); stop that daemon or use another state_db");
    }
    return make_error(Errc::io_error, "cannot lock " + path + ": " + std::strerror(error));
  }
  return FileLock(fd);
}

FileLock::~FileLock() {
  if (m_fd >= 0) {
    ::close(m_fd);
  }
}

}  // namespace emsync
