// Command demo walks through ackguard end to end on a local control plane
// (the envtest kube-apiserver and etcd, no containers): an insecure Bucket
// denied with the message kubectl shows, a secure Bucket admitted, and a
// Bucket created before ackguard was watching patched back by the drift
// reconciler, with the Event it recorded. It then keeps the cluster running
// so a user can apply their own manifests, until Ctrl-C.
//
//	go run ./hack/demo [--examples DIR] [--work-dir DIR] [--no-wait]
//
// `make demo` runs it. It is a command of its own so that the ackguard
// binary links neither envtest nor the local control plane.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	o := Options{Out: stdout, Wait: true}
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.Examples, "examples", "examples", "folder with the example manifests")
	fs.StringVar(&o.WorkDir, "work-dir", "", "folder for the kubeconfig (default: a new temporary folder)")
	noWait := fs.Bool("no-wait", false, "stop after the walkthrough instead of running until Ctrl-C")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "demo: unexpected arguments %q\n", fs.Args())
		return 2
	}
	o.Wait = !*noWait
	ctrl.SetLogger(zap.New(zap.WriteTo(io.Discard)))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	if err := Run(ctx, o); err != nil {
		fmt.Fprintln(stderr, "demo:", err)
		return 1
	}
	return 0
}
