//go:build unix && !linux

package emulators

import "syscall"

// sysProcAttr puts each emulator in its own process group, so Stop can kill it together with
// anything it spawned.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
