package emulators

import "syscall"

// sysProcAttr puts each emulator in its own process group, so Stop can kill it together with
// anything it spawned, and has the kernel kill it if this process dies without calling Stop
// (a `go test` timeout panic, say), so no emulator outlives its test binary.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
