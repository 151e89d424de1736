package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/ackguard/ackguard/internal/localcluster"
)

// clockTicks is USER_HZ, the unit of utime and stime in /proc/PID/stat
// (100 on every Linux architecture Go supports).
const clockTicks = 100

// proc is an admission process the benchmark started (ackguard, Kyverno).
type proc struct {
	name string
	cmd  *exec.Cmd
	log  *os.File
	done chan error
}

// startProc starts bin with args and extra environment, its output going
// to logPath.
func startProc(name, bin string, args, env []string, logPath string) (*proc, error) {
	f, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	p := &proc{name: name, cmd: cmd, log: f, done: make(chan error, 1)}
	go func() { p.done <- cmd.Wait() }()
	return p, nil
}

func (p *proc) pid() int { return p.cmd.Process.Pid }

// exited returns the process's exit error when it has stopped.
func (p *proc) exited() (bool, error) {
	select {
	case err := <-p.done:
		p.done <- err
		return true, fmt.Errorf("%s exited: %v (log: %s)", p.name, err, p.log.Name())
	default:
		return false, nil
	}
}

// stop sends SIGTERM, waits up to 20s, then kills; once stopped, it
// returns at once.
func (p *proc) stop() {
	defer p.log.Close()
	if gone, _ := p.exited(); gone {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	var err error
	select {
	case err = <-p.done:
	case <-time.After(20 * time.Second):
		_ = p.cmd.Process.Kill()
		err = <-p.done
	}
	p.done <- err // for exited, and for stop called again
}

// cpu returns the CPU time (user + system) the process has used.
func (p *proc) cpu() (time.Duration, error) { return pidCPU(p.pid()) }

// pidCPU returns the CPU time (user + system) process pid has used.
func pidCPU(pid int) (time.Duration, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	return parseStatCPU(string(data))
}

// parseStatCPU reads utime and stime (fields 14 and 15) of /proc/PID/stat;
// the command name (field 2) may hold spaces and parentheses.
func parseStatCPU(stat string) (time.Duration, error) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, fmt.Errorf("malformed /proc stat line")
	}
	f := strings.Fields(stat[i+1:])
	if len(f) < 13 {
		return 0, fmt.Errorf("malformed /proc stat line: %d fields after the command", len(f))
	}
	var ticks int64
	for _, s := range f[11:13] { // field 3 is f[0]
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("malformed /proc stat line: %w", err)
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / clockTicks, nil
}

// memory returns a /proc/PID/status size in bytes (VmRSS, VmHWM).
func (p *proc) memory(key string) (int64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.pid()))
	if err != nil {
		return 0, err
	}
	return parseStatusKB(string(data), key)
}

func parseStatusKB(status, key string) (int64, error) {
	v, err := statusValue(status, key)
	if err != nil {
		return 0, err
	}
	f := strings.Fields(v)
	if len(f) != 2 || f[1] != "kB" {
		return 0, fmt.Errorf("malformed %s line %q", key, key+":"+v)
	}
	n, err := strconv.ParseInt(f[0], 10, 64)
	if err != nil {
		return 0, err
	}
	return n << 10, nil
}

// statusValue returns what follows "key:" on its line of /proc/PID/status.
func statusValue(status, key string) (string, error) {
	for _, line := range strings.Split(status, "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && k == key {
			return v, nil
		}
	}
	return "", fmt.Errorf("no %s in /proc status", key)
}

// threadStat is what one thread of the process has spent so far: its
// context switches, voluntary (it went to sleep for want of work, each one
// a wake-up later) and involuntary (put off its CPU), and its CPU time.
type threadStat struct {
	voluntary, involuntary int64
	cpu                    time.Duration
}

// threads returns the threads of the process by thread ID. A thread that
// exited takes its counts with it; the Go runtime rarely ends one.
func (p *proc) threads() (map[string]threadStat, error) {
	return pidThreads(p.pid())
}

func pidThreads(pid int) (map[string]threadStat, error) {
	tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil {
		return nil, err
	}
	out := make(map[string]threadStat, len(tasks))
	for _, t := range tasks {
		dir := fmt.Sprintf("/proc/%d/task/%s/", pid, t.Name())
		status, err := os.ReadFile(dir + "status")
		if errors.Is(err, fs.ErrNotExist) {
			continue // the thread ended meanwhile
		}
		if err != nil {
			return nil, err
		}
		var ts threadStat
		if ts.voluntary, err = parseStatusCount(string(status), "voluntary_ctxt_switches"); err != nil {
			return nil, err
		}
		if ts.involuntary, err = parseStatusCount(string(status), "nonvoluntary_ctxt_switches"); err != nil {
			return nil, err
		}
		stat, err := os.ReadFile(dir + "stat")
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if ts.cpu, err = parseStatCPU(string(stat)); err != nil {
			return nil, err
		}
		out[t.Name()] = ts
	}
	return out, nil
}

// threadSpan is what the threads spent between two readings: every
// thread's switches together, and the thread that went to sleep most
// often alone (in a Go process, the runtime's monitor thread, sysmon,
// which sleeps 20 µs at a time while any goroutine runs and is woken from
// its long sleep by the first system call after the process was idle).
type threadSpan struct {
	voluntary, involuntary int64
	sleepiest              threadStat
}

func spanOf(before, after map[string]threadStat) threadSpan {
	var s threadSpan
	for tid, a := range after {
		b := before[tid] // zero for a thread started meanwhile
		d := threadStat{a.voluntary - b.voluntary, a.involuntary - b.involuntary, a.cpu - b.cpu}
		s.voluntary += d.voluntary
		s.involuntary += d.involuntary
		if d.voluntary > s.sleepiest.voluntary {
			s.sleepiest = d
		}
	}
	return s
}

// parseStatusCount reads a count of /proc/PID/status (a line "key:\tN").
func parseStatusCount(status, key string) (int64, error) {
	v, err := statusValue(status, key)
	if err != nil {
		return 0, err
	}
	return strconv.ParseInt(strings.TrimSpace(v), 10, 64)
}

// rss returns VmRSS, 0 when it cannot be read.
func (p *proc) rss() int64 {
	n, _ := p.memory("VmRSS")
	return n
}

// settle waits until the process stops using CPU (at most one tick in
// 500ms, or 10s passed), so work queued by the phase is counted in it.
func (p *proc) settle(ctx context.Context) (time.Duration, error) {
	prev, err := p.cpu()
	if err != nil {
		return 0, err
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
		cur, err := p.cpu()
		if err != nil {
			return 0, err
		}
		if cur-prev <= time.Second/clockTicks {
			return cur, nil
		}
		prev = cur
	}
	return prev, nil
}

// waitHTTP waits until url answers 200, or the process exits.
func (p *proc) waitHTTP(ctx context.Context, url string, timeout time.Duration) error {
	hc := &http.Client{Timeout: 2 * time.Second}
	var last string
	err := poll(ctx, timeout, 100*time.Millisecond, func() (bool, error) {
		if gone, err := p.exited(); gone {
			return false, err
		}
		resp, err := hc.Get(url)
		if err != nil {
			last = err.Error()
			return false, nil
		}
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		resp.Body.Close()
		last = fmt.Sprintf("%d %s", resp.StatusCode, body)
		return resp.StatusCode == http.StatusOK, nil
	})
	if err != nil {
		return fmt.Errorf("%s at %s: %v (last answer: %s; log: %s)", p.name, url, err, last, p.log.Name())
	}
	return nil
}

// startManager starts the manager and waits until it is ready (its
// /readyz on probeAddr answers within timeout); it stops the process when
// it is not.
func startManager(ctx context.Context, bin string, args, env []string, logPath, probeAddr string, timeout time.Duration) (*proc, error) {
	if knowsShutdownDelay(bin) && !slices.ContainsFunc(args, func(a string) bool { return strings.HasPrefix(a, "--shutdown-delay") }) {
		// The phases stop one manager and start the next on the same
		// port: a replica's drain serves no one here.
		args = append(slices.Clone(args), "--shutdown-delay=0s")
	}
	p, err := startProc("ackguard", bin, args, env, logPath)
	if err != nil {
		return nil, err
	}
	if err := p.waitHTTP(ctx, "http://"+probeAddr+"/readyz", timeout); err != nil {
		p.stop()
		return nil, err
	}
	return p, nil
}

// shutdownDelayKnown caches, per manager binary, whether it takes
// --shutdown-delay (builds of earlier commits, run for a comparison, do
// not).
var shutdownDelayKnown sync.Map

func knowsShutdownDelay(bin string) bool {
	if v, ok := shutdownDelayKnown.Load(bin); ok {
		return v.(bool)
	}
	out, _ := exec.Command(bin, "manager", "--help").CombinedOutput()
	knows := strings.Contains(string(out), "--shutdown-delay")
	shutdownDelayKnown.Store(bin, knows)
	return knows
}

// servingHook prepares the webhook serving certificate of a manager
// process on loopback; cleanup removes it.
func servingHook() (hook *envtest.WebhookInstallOptions, cleanup func(), err error) {
	hook = &envtest.WebhookInstallOptions{LocalServingHost: "127.0.0.1"}
	if err := hook.PrepWithoutInstalling(); err != nil {
		return nil, nil, fmt.Errorf("preparing the webhook certificate: %w", err)
	}
	return hook, func() { _ = hook.Cleanup() }, nil
}

// managerArgs returns the arguments every run of the manager starts with:
// hook's certificate folder and port, metrics and probes on free loopback
// ports; probeAddr serves /readyz.
func managerArgs(hook *envtest.WebhookInstallOptions) (args []string, probeAddr string, err error) {
	metricsAddr, err := localcluster.FreeAddr()
	if err != nil {
		return nil, "", err
	}
	if probeAddr, err = localcluster.FreeAddr(); err != nil {
		return nil, "", err
	}
	return []string{"manager",
		"--webhook-cert-dir=" + hook.LocalServingCertDir, "--webhook-port=" + strconv.Itoa(hook.LocalServingPort),
		"--metrics-bind-address=" + metricsAddr, "--health-probe-bind-address=" + probeAddr,
	}, probeAddr, nil
}
