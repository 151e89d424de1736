package view

import "k8s.io/apimachinery/pkg/runtime/schema"

// SubnetGVK is the ACK EC2 Subnet kind, which a Function's
// spec.vpcConfig.subnetRefs name.
var SubnetGVK = schema.GroupVersionKind{Group: "ec2.services.k8s.aws", Version: "v1alpha1", Kind: "Subnet"}

// FunctionConfig is the part of a Lambda Function the resilience rules
// read (LMB-007, LMB-008, LMB-013): its VPC attachment, its failure
// destinations and its reserved concurrency.
type FunctionConfig struct {
	Meta
	Spec Object
	// VPCConfig is spec.vpcConfig; SubnetIDs its subnetIDs and SubnetRefs
	// its subnetRefs (ACK Subnets).
	VPCConfig     Object
	SubnetIDsList Object // the subnetIDs field itself
	SubnetIDs     []String
	SubnetRefs    []Ref
	SubnetRefsErr *FieldError // subnetRefs is not an array
	// DeadLetterTarget is spec.deadLetterConfig.targetARN.
	DeadLetterConfig Object
	DeadLetterTarget String
	// OnFailure is spec.functionEventInvokeConfig.destinationConfig
	// .onFailure.destination.
	EventInvokeConfig, DestinationConfig, OnFailureConfig Object
	OnFailure                                             String
	ReservedConcurrency                                   Int // spec.reservedConcurrentExecutions
}

// NewFunctionConfig decodes a Function's VPC, failure-destination and
// concurrency fields.
func NewFunctionConfig(obj map[string]any) *FunctionConfig {
	spec := Spec(obj)
	f := &FunctionConfig{Meta: ReadMeta(obj), Spec: spec}
	f.VPCConfig = spec.Object("vpcConfig")
	f.SubnetIDsList, f.SubnetIDs = stringList(f.VPCConfig, "subnetIDs")
	refs, err := f.VPCConfig.List("subnetRefs")
	f.SubnetRefsErr = err
	for _, r := range refs {
		f.SubnetRefs = append(f.SubnetRefs, readRef(r))
	}
	f.DeadLetterConfig = spec.Object("deadLetterConfig")
	f.DeadLetterTarget = f.DeadLetterConfig.String("targetARN")
	f.EventInvokeConfig = spec.Object("functionEventInvokeConfig")
	f.DestinationConfig = f.EventInvokeConfig.Object("destinationConfig")
	f.OnFailureConfig = f.DestinationConfig.Object("onFailure")
	f.OnFailure = f.OnFailureConfig.String("destination")
	f.ReservedConcurrency = spec.Int("reservedConcurrentExecutions")
	return f
}

// Subnet is the view of an ec2.services.k8s.aws/v1alpha1 Subnet: where it
// is.
type Subnet struct {
	Meta
	AvailabilityZone   String // spec.availabilityZone (a name: eu-west-1a)
	AvailabilityZoneID String // spec.availabilityZoneID (an ID: euw1-az1)
}

// NewSubnet decodes a Subnet view.
func NewSubnet(obj map[string]any) *Subnet {
	spec := Spec(obj)
	return &Subnet{
		Meta:               ReadMeta(obj),
		AvailabilityZone:   spec.String("availabilityZone"),
		AvailabilityZoneID: spec.String("availabilityZoneID"),
	}
}
