package rules

import "fmt"

// Default returns the registry of every rule ackguard ships, in catalog
// order. It is built anew on each call; callers keep one.
func Default() *Registry {
	all := []*Rule{pol001()}
	all = append(all, s3Rules()...)
	all = append(all, iamRules()...)
	all = append(all, rdsRules()...)
	all = append(all, ec2Rules()...)
	all = append(all, lambdaRules()...)
	r, err := NewRegistry(all...)
	if err != nil {
		// The list above is fixed at compile time and covered by tests.
		panic(fmt.Sprintf("rules.Default: %v", err))
	}
	return r
}

func s3Rules() []*Rule {
	return []*Rule{s3001(), s3002(), s3003(), s3004(), s3005(), s3006(), s3007(), s3008(), s3009(), s3010(),
		s3011(), s3012(), s3013(), s3014(), s3015()}
}
