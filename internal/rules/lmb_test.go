package rules_test

import (
	"strings"
	"testing"

	"github.com/ackguard/ackguard/internal/rules"
	"github.com/ackguard/ackguard/internal/view"
)

// secureFunctionSpec is a Function every Lambda rule passes.
func secureFunctionSpec() map[string]any {
	return map[string]any{
		"name":                 "orders",
		"code":                 map[string]any{"s3Bucket": "artifacts", "s3Key": "orders.zip"},
		"role":                 "arn:aws:iam::111122223333:role/orders",
		"runtime":              "python3.12",
		"handler":              "main.handler",
		"tracingConfig":        map[string]any{"mode": "Active"},
		"kmsKeyARN":            "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
		"codeSigningConfigARN": "arn:aws:lambda:eu-west-1:111122223333:code-signing-config:csc-0123456789abcdef0",
		"environment": map[string]any{"variables": map[string]any{
			"LOG_LEVEL":        "info",
			"DB_PASSWORD_ARN":  "arn:aws:secretsmanager:eu-west-1:111122223333:secret:orders-db-AbCdEf",
			"API_TOKEN_PARAM":  "/orders/api-token",
			"FEATURE_ENDPOINT": "https://api.example.com/v1",
		}},
	}
}

func fn(spec any) map[string]any        { return ackObject(view.FunctionGVK, spec) }
func urlConfig(spec any) map[string]any { return ackObject(view.FunctionURLConfigGVK, spec) }

func TestLambdaSecureObjectsPass(t *testing.T) {
	for name, obj := range map[string]map[string]any{
		"function": fn(secureFunctionSpec()),
		"url":      urlConfig(map[string]any{"functionName": "orders", "authType": "AWS_IAM", "cors": map[string]any{"allowOrigins": []any{"https://shop.example.com"}, "allowCredentials": true}}),
	} {
		if got := rules.Default().Evaluate(obj, rules.Config{}); len(got) != 0 {
			t.Errorf("%s: findings for a secure object:\n%s", name, texts(got))
		}
	}
}

func TestLMB003(t *testing.T) {
	const p = "spec.authType"
	runKindCases(t, "LMB-003", []kindCase{
		{name: "secure: AWS_IAM", obj: urlConfig(map[string]any{"authType": "AWS_IAM"})},
		{name: "insecure: NONE", obj: urlConfig(map[string]any{"authType": "NONE"}), action: rules.Deny, fixable: yes, want: []want{{p, `authType "NONE" makes the function URL a public endpoint`}}},
		// The value is quoted as the spec writes it.
		{name: "tricky: none in lower case is still public intent", obj: urlConfig(map[string]any{"authType": "none"}), want: []want{{p, `authType "none" makes the function URL a public endpoint`}}},
		{name: "tricky: annotation does not exempt (GuardrailException does)", obj: func() map[string]any {
			o := urlConfig(map[string]any{"authType": "NONE"})
			o["metadata"].(map[string]any)["annotations"] = map[string]any{"ackguard.io/public": "true"}
			return o
		}(), want: []want{{p, "NONE"}}},
		{name: "tricky: unknown value", obj: urlConfig(map[string]any{"authType": "IAM"}), want: []want{{p, `authType "IAM" is not AWS_IAM`}}},
		{name: "tricky: absent", obj: urlConfig(map[string]any{"functionName": "f"}), want: []want{{p, "authType is not set"}}},
		{name: "wrong type", obj: urlConfig(map[string]any{"authType": true}), want: []want{{p, "must be a string"}}},
		{name: "wrong type: spec", obj: urlConfig("x"), want: []want{{"spec", "must be an object"}}},
	})
}

func TestLMB004(t *testing.T) {
	cors := func(c map[string]any) map[string]any {
		return urlConfig(map[string]any{"authType": "AWS_IAM", "cors": c})
	}
	const p0 = "spec.cors.allowOrigins[0]"
	runKindCases(t, "LMB-004", []kindCase{
		{name: "secure: no CORS", obj: urlConfig(map[string]any{"authType": "AWS_IAM"})},
		{name: "secure: named origin", obj: cors(map[string]any{"allowOrigins": []any{"https://app.example.com"}})},
		{name: "insecure: *", obj: cors(map[string]any{"allowOrigins": []any{"*"}}), action: rules.Warn, want: []want{{p0, `allowOrigins "*" lets any web site`}}},
		{name: "tricky: * with allowCredentials", obj: cors(map[string]any{"allowOrigins": []any{"https://a.example.com", "*"}, "allowCredentials": true}), want: []want{
			{"spec.cors.allowOrigins[1]", "with allowCredentials: true"},
		}},
		{name: "tricky: https://* is every https site", obj: cors(map[string]any{"allowOrigins": []any{"https://*"}}), want: []want{{p0, "https://*"}}},
		{name: "secure: subdomain wildcard is not every site", obj: cors(map[string]any{"allowOrigins": []any{"https://*.example.com"}})},
		// Any site can make a browser send Origin: null (sandboxed iframe,
		// data: URL), so allowing it is allowing every site.
		{name: "insecure: the null origin", obj: cors(map[string]any{"allowOrigins": []any{"https://app.example.com", "null"}, "allowCredentials": true}), want: []want{
			{"spec.cors.allowOrigins[1]", `allowOrigins "null" lets any web site call the function URL from a browser: a page sends Origin: null`},
		}},
		{name: "secure: a host named null is a host", obj: cors(map[string]any{"allowOrigins": []any{"https://null.example.com"}})},
		{name: "wrong type", obj: cors(map[string]any{"allowOrigins": "*"}), want: []want{{"spec.cors.allowOrigins", "must be an array"}}},
	})
	// The catalog rates LMB-004 Medium, credentials or not: the message
	// says it, the severity stays.
	f := findingsOf(cors(map[string]any{"allowOrigins": []any{"*"}, "allowCredentials": true}), rules.Config{}, "LMB-004")
	if len(f) != 1 || f[0].Severity != rules.Medium {
		t.Errorf("* with credentials: %s", texts(f))
	}
}

func TestLMB005(t *testing.T) {
	const p = "spec.runtime"
	runKindCases(t, "LMB-005", []kindCase{
		{name: "secure: python3.12", obj: fn(secureFunctionSpec())},
		{name: "insecure: python3.7", obj: fn(with(secureFunctionSpec(), "runtime", "python3.7")), action: rules.Deny, fixable: no, want: []want{{p, `runtime "python3.7" is not a supported Lambda runtime (deprecated or unknown in ackguard's runtime list `}}},
		{name: "insecure: nodejs16.x", obj: fn(with(secureFunctionSpec(), "runtime", "nodejs16.x")), want: []want{{p, "nodejs16.x"}}},
		{name: "insecure: go1.x", obj: fn(with(secureFunctionSpec(), "runtime", "go1.x")), want: []want{{p, "go1.x"}}},
		{name: "insecure: python3.9", obj: fn(with(secureFunctionSpec(), "runtime", "python3.9")), want: []want{{p, "python3.9"}}},
		{name: "insecure: nodejs18.x", obj: fn(with(secureFunctionSpec(), "runtime", "nodejs18.x")), want: []want{{p, "nodejs18.x"}}},
		{name: "insecure: provided (Amazon Linux 1) is not provided.al2", obj: fn(with(secureFunctionSpec(), "runtime", "provided")), want: []want{{p, `runtime "provided"`}}},
		{name: "insecure: java8 (Amazon Linux 1) is not java8.al2", obj: fn(with(secureFunctionSpec(), "runtime", "java8")), want: []want{{p, `runtime "java8"`}}},
		{name: "tricky: runtime identifiers are lower case (Lambda rejects others)", obj: fn(with(secureFunctionSpec(), "runtime", "Python3.12")), want: []want{{p, "Python3.12"}}},
		{name: "secure: java8.al2", obj: fn(with(secureFunctionSpec(), "runtime", "java8.al2"))},
		{name: "secure: dotnet10 (managed runtime since January 2026)", obj: fn(with(secureFunctionSpec(), "runtime", "dotnet10"))},
		{name: "insecure: dotnet6", obj: fn(with(secureFunctionSpec(), "runtime", "dotnet6")), want: []want{{p, "dotnet6"}}},
		{name: "tricky: packageType Image without a runtime", obj: fn(with(secureFunctionSpec(), "runtime", nil, "packageType", "Image", "code", map[string]any{"imageURI": "111122223333.dkr.ecr.eu-west-1.amazonaws.com/orders:1"}))},
		{name: "secure: provided.al2023", obj: fn(with(secureFunctionSpec(), "runtime", "provided.al2023"))},
		{name: "secure: provided.al2", obj: fn(with(secureFunctionSpec(), "runtime", "provided.al2"))},
		{name: "tricky: packageType Image is exempt", obj: fn(with(secureFunctionSpec(), "runtime", "python3.7", "packageType", "Image"))},
		{name: "tricky: no runtime (Lambda rejects a .zip without one)", obj: fn(with(secureFunctionSpec(), "runtime", nil))},
		{name: "wrong type", obj: fn(with(secureFunctionSpec(), "runtime", int64(3))), want: []want{{p, "must be a string"}}},
		{name: "wrong type: spec", obj: fn([]any{}), want: []want{{"spec", "must be an object"}}},
	})
	l := rules.SupportedLambdaRuntimes()
	if l.Version == "" || !strings.Contains(l.Source, "Lambda.2") || len(l.Supported) == 0 {
		t.Errorf("runtime list without version or source: %+v", l)
	}
}

func TestLMB006(t *testing.T) {
	const p = "spec.tracingConfig.mode"
	runKindCases(t, "LMB-006", []kindCase{
		{name: "secure: Active", obj: fn(secureFunctionSpec())},
		{name: "insecure: PassThrough", obj: fn(with(secureFunctionSpec(), "tracingConfig", map[string]any{"mode": "PassThrough"})), action: rules.Warn, fixable: yes, want: []want{{p, "tracing mode is PassThrough"}}},
		{name: "insecure: absent", obj: fn(with(secureFunctionSpec(), "tracingConfig", nil)), want: []want{{p, "Lambda default: PassThrough"}}},
	})
	plan, err := rules.Default().Remediate(fn(with(secureFunctionSpec(), "tracingConfig", nil)), rules.Config{}, []string{"LMB-006"})
	if err != nil {
		t.Fatal(err)
	}
	if got := plan.MergePatch(); got["spec"].(map[string]any)["tracingConfig"].(map[string]any)["mode"] != "Active" || len(plan.Changes) != 1 {
		t.Errorf("opt-in fix: %v", got)
	}
}

func TestLMB009(t *testing.T) {
	env := func(vars map[string]any) map[string]any {
		return fn(with(secureFunctionSpec(), "environment", map[string]any{"variables": vars}))
	}
	path := func(name string) string { return "spec.environment.variables." + name }
	runKindCases(t, "LMB-009", []kindCase{
		{name: "secure: references and settings", obj: fn(secureFunctionSpec())},
		{name: "insecure: AWS access key ID", obj: env(map[string]any{"AWS_KEY": "AKIAIOSFODNN7EXAMPLE"}), action: rules.Warn, fixable: no, want: []want{
			{path("AWS_KEY"), "an AWS access key ID (ackguard's pattern aws-access-key-id, secret pattern list "},
		}},
		{name: "insecure: temporary key ID", obj: env(map[string]any{"K": "ASIAY34FZKBOKMUTVV7A"}), want: []want{{path("K"), "aws-access-key-id"}}},
		{name: "insecure: private key block", obj: env(map[string]any{"TLS_KEY": "-----BEGIN RSA PRIVATE KEY-----\nMIIE...\n-----END RSA PRIVATE KEY-----"}), want: []want{{path("TLS_KEY"), "private-key"}}},
		{name: "insecure: password= in a connection string", obj: env(map[string]any{"DSN": "host=db user=app password=s3cr3tValue dbname=orders"}), want: []want{{path("DSN"), "credential-assignment"}}},
		{name: "insecure: credentials in a URL", obj: env(map[string]any{"DATABASE_URL": "postgres://app:Sup3rS3cret@db.internal:5432/orders"}), want: []want{{path("DATABASE_URL"), "url-credentials"}}},
		{name: "insecure: high-entropy value under a token name", obj: env(map[string]any{"SERVICE_TOKEN": "q8Zr2Lx9Vb4Nt7Kp1Wd6Hs3Jf5Mg0Ce"}), want: []want{{path("SERVICE_TOKEN"), "secret-name-token"}}},
		{name: "insecure: password under a password name", obj: env(map[string]any{"DB_PASSWORD": "Tr0ub4dor&3x"}), want: []want{{path("DB_PASSWORD"), "secret-name-password"}}},
		{name: "insecure: credentials in a URL with an empty user name", obj: env(map[string]any{"REDIS_URL": "redis://:Sup3rS3cretPw@cache.internal:6379/0"}), want: []want{{path("REDIS_URL"), "url-credentials"}}},
		{name: "insecure: password under a PASS name", obj: env(map[string]any{"DB_PASS": "Tr0ub4dor&3x"}), want: []want{{path("DB_PASS"), "secret-name-password"}}},
		{name: "tricky: PASS inside a word is not a password name", obj: env(map[string]any{"BYPASS_CACHE_KEYS": "orders,Customers,3"})},
		{name: "tricky: a secret's name under a _NAME variable is a reference", obj: env(map[string]any{"DB_SECRET_NAME": "orders/db-credentials"})},
		{name: "tricky: a _NAME variable still fails on a value pattern", obj: env(map[string]any{"KEY_NAME": "AKIAIOSFODNN7EXAMPLE"}), want: []want{{path("KEY_NAME"), "aws-access-key-id"}}},
		{name: "tricky: low-entropy value under a token name", obj: env(map[string]any{"TOKEN_TTL_SECONDS": "3600"})},
		{name: "tricky: ARN under a secret name is a reference", obj: env(map[string]any{"DB_SECRET": "arn:aws:secretsmanager:eu-west-1:111122223333:secret:db-AbCdEf"})},
		{name: "tricky: empty value", obj: env(map[string]any{"API_KEY": ""})},
		{name: "tricky: name with a dot is quoted in the path", obj: env(map[string]any{"my.key": "AKIAIOSFODNN7EXAMPLE"}), want: []want{{`spec.environment.variables["my.key"]`, "aws-access-key-id"}}},
		{name: "wrong type: value", obj: env(map[string]any{"N": int64(1)}), want: []want{{path("N"), "must be a string"}}},
		{name: "wrong type: variables", obj: fn(with(secureFunctionSpec(), "environment", map[string]any{"variables": "A=B"})), want: []want{{"spec.environment.variables", "must be an object"}}},
	})
	// The finding never carries the value.
	for _, f := range findingsOf(env(map[string]any{"DSN": "user=app password=s3cr3tValue"}), rules.Config{}, "LMB-009") {
		if strings.Contains(f.Text(), "s3cr3tValue") || strings.Contains(f.Subject, "s3cr3tValue") {
			t.Errorf("finding leaks the value: %s", f.Text())
		}
	}
}

func TestLMB010And011(t *testing.T) {
	runKindCases(t, "LMB-010", []kindCase{
		{name: "secure", obj: fn(secureFunctionSpec())},
		{name: "secure: key by reference", obj: fn(with(secureFunctionSpec(), "kmsKeyARN", nil, "kmsKeyRef", map[string]any{"from": map[string]any{"name": "k"}}))},
		{name: "secure: no variables, nothing to encrypt", obj: fn(with(secureFunctionSpec(), "kmsKeyARN", nil, "environment", nil))},
		{name: "insecure: variables without a key", obj: fn(with(secureFunctionSpec(), "kmsKeyARN", nil)), action: rules.Warn, want: []want{{"spec.kmsKeyARN", "AWS managed key only"}}},
		{name: "tricky: empty ARN is absent", obj: fn(with(secureFunctionSpec(), "kmsKeyARN", "")), want: []want{{"spec.kmsKeyARN", "not set"}}},
	})
	runKindCases(t, "LMB-011", []kindCase{
		{name: "secure", obj: fn(secureFunctionSpec())},
		{name: "insecure: no code signing", obj: fn(with(secureFunctionSpec(), "codeSigningConfigARN", nil)), action: rules.Warn, want: []want{{"spec.codeSigningConfigARN", "unsigned code"}}},
		{name: "tricky: container images cannot be signed", obj: fn(with(secureFunctionSpec(), "codeSigningConfigARN", nil, "packageType", "Image"))},
	})
}
