package rules

// ec2Rules returns the EC2 security groups rules, in catalog order.
//
// Not shipped: EC2-009 (opt-in, phase 2) judges the NetworkACL kind.
func ec2Rules() []*Rule {
	return []*Rule{ec2001(), ec2002(), ec2003(), ec2004(), ec2005(), ec2006(), ec2007(), ec2008()}
}
