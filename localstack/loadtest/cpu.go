package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/latchkey/latchkey/localstack/loadtest/result"
)

// userHZ is the unit of utime and stime in /proc/<pid>/stat: USER_HZ, 100 on every Linux ABI
// Go supports (it is not the kernel's HZ).
const userHZ = 100

// cpuTimes is the CPU time each process of the run had used at one moment.
type cpuTimes struct {
	at                           time.Time
	generator, gateway, ddb, ses time.Duration
	hasGateway, hasDDB, hasSES   bool
	machine                      time.Duration // busy time of all cores together
}

// procs are the processes whose CPU a scenario reports: the gateway (started by this program)
// and the emulators (started by localstack/emulators as this process's children).
type procs struct {
	gateway, ddb, ses int // 0: not found
}

// findEmulators finds DynamoDB Local (java) and the SES emulator (node) among this process's
// children. Emulators given by endpoint (LATCHKEY_TEST_*) are not children and are not found.
func findEmulators(skip int) (ddb, ses int) {
	self := os.Getpid()
	entries, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, e := range entries {
		pid, comm, ppid, _, err := readStat(e)
		if err != nil || ppid != self || pid == skip {
			continue
		}
		switch comm {
		case "java":
			ddb = pid
		case "node":
			ses = pid
		}
	}
	return ddb, ses
}

// readStat parses /proc/<pid>/stat: the pid, the command name, the parent and utime+stime
// (all threads, exited ones included).
func readStat(path string) (pid int, comm string, ppid int, cpu time.Duration, err error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return 0, "", 0, 0, err
	}
	s := string(raw)
	open, closing := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if open < 0 || closing < open {
		return 0, "", 0, 0, fmt.Errorf("%s: unexpected format", path)
	}
	pid, _ = strconv.Atoi(strings.TrimSpace(s[:open]))
	comm = s[open+1 : closing]
	// After the command: state (field 3), ppid (4), ..., utime (14), stime (15).
	f := strings.Fields(s[closing+1:])
	if len(f) < 13 {
		return 0, "", 0, 0, fmt.Errorf("%s: %d fields", path, len(f))
	}
	ppid, _ = strconv.Atoi(f[1])
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return pid, comm, ppid, time.Duration(utime+stime) * time.Second / userHZ, nil
}

func procCPU(pid int) (time.Duration, bool) {
	if pid == 0 {
		return 0, false
	}
	_, _, _, cpu, err := readStat(fmt.Sprintf("/proc/%d/stat", pid))
	return cpu, err == nil
}

// selfCPU is this process's user + system time (every thread), in microseconds' resolution.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// machineBusy is the time all cores together spent on anything but idling, from the first
// line of /proc/stat (user, nice, system, idle, iowait, irq, softirq, steal, in USER_HZ).
func machineBusy() time.Duration {
	raw, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(raw), "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return 0
	}
	var busy int64
	for i, v := range f[1:9] {
		if i == 3 || i == 4 { // idle, iowait
			continue
		}
		n, _ := strconv.ParseInt(v, 10, 64)
		busy += n
	}
	return time.Duration(busy) * time.Second / userHZ
}

func (p procs) snapshot() cpuTimes {
	t := cpuTimes{at: time.Now(), generator: selfCPU(), machine: machineBusy()}
	t.gateway, t.hasGateway = procCPU(p.gateway)
	t.ddb, t.hasDDB = procCPU(p.ddb)
	t.ses, t.hasSES = procCPU(p.ses)
	return t
}

// cpuPerOp is the CPU each process used between two snapshots, per operation.
func cpuPerOp(a, b cpuTimes, ops int) *result.CPU {
	if ops == 0 {
		return nil
	}
	per := func(ok bool, d time.Duration) float64 {
		if !ok {
			return -1
		}
		return float64(d) / float64(time.Millisecond) / float64(ops)
	}
	c := &result.CPU{
		Generator: per(true, b.generator-a.generator),
		Gateway:   per(a.hasGateway && b.hasGateway, b.gateway-a.gateway),
		DynamoDB:  per(a.hasDDB && b.hasDDB, b.ddb-a.ddb),
		SES:       per(a.hasSES && b.hasSES, b.ses-a.ses),
		Elapsed:   b.at.Sub(a.at).Seconds(),
	}
	if c.Elapsed > 0 && b.machine > a.machine {
		c.MachineBusy = (b.machine - a.machine).Seconds() / c.Elapsed
	}
	return c
}
