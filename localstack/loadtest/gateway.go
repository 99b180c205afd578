package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"syscall"
	"time"

	"github.com/latchkey/latchkey/shared/app"
)

// The gateway runs in its own process, this binary re-executed with gatewayEnv set, so the CPU
// time it uses is its own: the load generator's HTTP client, its raw DynamoDB calls and its
// bookkeeping are in another process. Its request log lines go to its stdout, as a Lambda's do,
// and the load generator reads them from there.
const gatewayEnv = "LATCHKEY_LOADTEST_GATEWAY"

// gatewaySpec is what the gateway process needs to build the same app.Config (appConfig).
type gatewaySpec struct {
	ProjectID, Table, DynamoDB, SES, SMS string
}

// appConfig is the configuration of the load run's Latchkey, in both processes.
func appConfig(s gatewaySpec) app.Config {
	return app.Config{
		ProjectID:          s.ProjectID,
		Table:              s.Table,
		Region:             "us-east-1",
		DynamoDBEndpoint:   s.DynamoDB,
		SESEndpoint:        s.SES,
		SMSEndpoint:        s.SMS,
		Sender:             "no-reply@latchkey.test",
		RedirectURLs:       []string{"http://localhost:*"},
		DefaultRedirectURL: redirectURL,
		// Each member logs in many times during the run; the limits are not what is measured.
		EmailSendsPerHour: 1 << 30,
		OrgSendsPerHour:   1 << 30,
	}
}

// listening is the gateway process's first line on stdout; request log lines follow.
type listening struct {
	Msg  string `json:"msg"`
	Addr string `json:"addr"`
}

const listeningMsg = "loadtest gateway listening"

// serveGateway is the gateway process: it serves until its stdin closes (the load generator
// closed it, or died).
func serveGateway(raw string) error {
	var spec gatewaySpec
	if err := json.Unmarshal([]byte(raw), &spec); err != nil {
		return fmt.Errorf("%s: %w", gatewayEnv, err)
	}
	for _, u := range []string{spec.DynamoDB, spec.SES, spec.SMS} {
		if err := loopback(u); err != nil {
			return err
		}
	}
	// The load generator decides when this process ends (an interrupt reaches the whole
	// process group; in-flight requests should still be answered).
	signal.Ignore(os.Interrupt)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	a, err := app.Build(ctx, appConfig(spec), os.Stdout)
	cancel()
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: a.Server.Handler(""), ReadHeaderTimeout: 10 * time.Second}
	line, _ := json.Marshal(listening{Msg: listeningMsg, Addr: ln.Addr().String()})
	if _, err := os.Stdout.Write(append(line, '\n')); err != nil {
		return err
	}
	go srv.Serve(ln)
	_, _ = io.Copy(io.Discard, os.Stdin)
	sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer scancel()
	return srv.Shutdown(sctx)
}

// gateway is the running gateway process, seen from the load generator.
type gateway struct {
	cmd    *exec.Cmd
	stdin  io.Closer
	exited chan error
}

// startGateway starts the gateway process and returns it with its base URL; its request log
// lines are written to logs as they arrive.
func startGateway(spec gatewaySpec, logs io.Writer) (*gateway, string, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, "", err
	}
	raw, _ := json.Marshal(spec)
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), gatewayEnv+"="+string(raw))
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, "", err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, "", err
	}
	if err := cmd.Start(); err != nil {
		return nil, "", err
	}
	g := &gateway{cmd: cmd, stdin: stdin, exited: make(chan error, 1)}
	addr := make(chan string, 1)
	go func() {
		r := bufio.NewReaderSize(stdout, 64<<10)
		announced := false
		for {
			line, err := r.ReadBytes('\n')
			if len(line) > 0 {
				var l listening
				if !announced && json.Unmarshal(line, &l) == nil && l.Msg == listeningMsg {
					announced = true
					addr <- l.Addr
				} else {
					_, _ = logs.Write(line)
				}
			}
			if err != nil {
				break
			}
		}
		// Wait only once stdout is drained, as os/exec asks.
		g.exited <- cmd.Wait()
	}()
	timeout := time.NewTimer(time.Minute)
	defer timeout.Stop()
	select {
	case a := <-addr:
		base := "http://" + a
		if err := loopback(base); err != nil {
			g.stop()
			return nil, "", err
		}
		return g, base, nil
	case err := <-g.exited:
		g.exited <- err
		return nil, "", fmt.Errorf("the gateway process exited before listening: %v", err)
	case <-timeout.C:
		g.stop()
		return nil, "", errors.New("the gateway process did not listen within a minute")
	}
}

func (g *gateway) pid() int { return g.cmd.Process.Pid }

// stop closes the gateway's stdin, which ends it, and kills it (by its pid) if it has not
// exited within a few seconds.
func (g *gateway) stop() {
	_ = g.stdin.Close()
	select {
	case <-g.exited:
		return
	case <-time.After(8 * time.Second):
	}
	_ = g.cmd.Process.Signal(syscall.SIGKILL)
	<-g.exited
}
