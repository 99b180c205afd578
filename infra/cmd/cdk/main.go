// Command cdk is Latchkey's CDK app. `make synth` runs it directly (no cdk CLI, no AWS
// account: it writes cdk.out/<stack>.template.json); `make deploy` and `make destroy` run it
// through the locally installed cdk CLI (infra/cdk.json).
//
// Context comes from `-c key=value` arguments (same syntax as the cdk CLI) and, when the cdk
// CLI is not the caller, from the "context" block of infra/cdk.json. The keys are documented on
// infra.Config and in infra/README.md.
//
// The synth fails (exit 1) on any cdk-nag AwsSolutions finding that is not suppressed with a
// reason, so `make synth` is a gate as well as a build.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/cxapi"
	"github.com/aws/jsii-runtime-go"

	"github.com/latchkey/latchkey/infra"
	"github.com/latchkey/latchkey/shared/api"
)

func main() { os.Exit(run(os.Args[1:])) }

func run(args []string) int {
	defer jsii.Close()
	fail := func(err error) int {
		fmt.Fprintln(os.Stderr, "latchkey cdk:", err)
		return 2
	}
	root, err := infra.FindRoot()
	if err != nil {
		return fail(err)
	}
	// The cdk CLI sets CDK_OUTDIR and passes its merged context (cdk.json + -c) itself.
	underCLI := os.Getenv("CDK_OUTDIR") != ""
	ctx := map[string]any{}
	if !underCLI {
		if ctx, err = cdkJSONContext(filepath.Join(root, "infra", "cdk.json")); err != nil {
			return fail(err)
		}
	}
	if err := parseArgs(args, ctx); err != nil {
		return fail(err)
	}
	props := &awscdk.AppProps{Context: &ctx}
	if !underCLI {
		props.Outdir = jsii.String(filepath.Join(root, "cdk.out"))
	}
	app := awscdk.NewApp(props)

	cfg, err := infra.FromContext(app.Node())
	if err != nil {
		return fail(fmt.Errorf("context: %w", err))
	}
	stackProps := &awscdk.StackProps{}
	// Set by the cdk CLI from the caller's credentials; absent in an offline synth, which
	// then produces an environment-agnostic template.
	if account, region := os.Getenv("CDK_DEFAULT_ACCOUNT"), os.Getenv("CDK_DEFAULT_REGION"); account != "" && region != "" {
		stackProps.Env = &awscdk.Environment{Account: jsii.String(account), Region: jsii.String(region)}
	}
	stack, err := infra.NewStack(app, cfg, stackProps)
	if err != nil {
		return fail(err)
	}
	assembly := app.Synth(nil)
	artifact := assembly.GetStackArtifact(stack.ArtifactId())

	findings := 0
	for _, m := range *artifact.Messages() {
		text := fmt.Sprint(m.Entry.Data)
		if m.Entry.Data != nil {
			if s, ok := m.Entry.Data.(string); ok {
				text = s
			}
		}
		level := strings.ToLower(string(m.Level))
		fmt.Fprintf(os.Stderr, "%s: %s: %s\n", level, *m.Id, firstLine(text))
		if strings.HasPrefix(text, "AwsSolutions-") && m.Level != cxapi.SynthesisMessageLevel_INFO {
			findings++
		}
	}
	fmt.Fprintf(os.Stderr, "synthesised %s: %d functions, %d routes + $default, to %s\n",
		*stack.TemplateFile(), len(stack.Functions), len(api.Routes), *assembly.Directory())
	if findings > 0 {
		fmt.Fprintf(os.Stderr, "latchkey cdk: %d unsuppressed cdk-nag AwsSolutions finding(s): fix them or suppress them with a reason in infra/\n", findings)
		return 1
	}
	return 0
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// parseArgs reads `-c key=value` / `--context key=value` pairs into ctx.
func parseArgs(args []string, ctx map[string]any) error {
	for i := 0; i < len(args); i++ {
		a := args[i]
		var kv string
		switch {
		case a == "-c" || a == "--context":
			if i+1 >= len(args) {
				return fmt.Errorf("%s needs key=value", a)
			}
			i++
			kv = args[i]
		case strings.HasPrefix(a, "--context="):
			kv = strings.TrimPrefix(a, "--context=")
		default:
			return fmt.Errorf("unknown argument %q (usage: cdk [-c key=value]...)", a)
		}
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return fmt.Errorf("context %q: want key=value", kv)
		}
		ctx[k] = v
	}
	return nil
}

// cdkJSONContext reads the "context" block of infra/cdk.json (the same values the cdk CLI
// would pass), so `make synth` and `make deploy` see the same configuration.
func cdkJSONContext(path string) (map[string]any, error) {
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return map[string]any{}, nil
	}
	if err != nil {
		return nil, err
	}
	var f struct {
		Context map[string]any `json:"context"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if f.Context == nil {
		f.Context = map[string]any{}
	}
	return f.Context, nil
}
