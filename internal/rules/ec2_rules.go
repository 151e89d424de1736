package rules

// ec2Rules returns the EC2 rules (security groups, then network ACLs), in
// catalog order.
func ec2Rules() []*Rule {
	return []*Rule{ec2001(), ec2002(), ec2003(), ec2004(), ec2005(), ec2006(), ec2007(), ec2008(), ec2009()}
}
