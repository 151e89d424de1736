{{/* Chart name, truncated to the 63 characters Kubernetes names allow. */}}
{{- define "ackguard.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Resource name prefix: the release name, plus the chart name when they differ. */}}
{{- define "ackguard.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "ackguard.labels" -}}
app.kubernetes.io/name: {{ include "ackguard.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "ackguard.selectorLabels" -}}
app.kubernetes.io/name: {{ include "ackguard.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: manager
{{- end -}}

{{- define "ackguard.serviceAccountName" -}}
{{ include "ackguard.fullname" . }}-controller-manager
{{- end -}}

{{- define "ackguard.webhookServiceName" -}}
{{ include "ackguard.fullname" . }}-webhook-service
{{- end -}}

{{- define "ackguard.certSecretName" -}}
{{ include "ackguard.fullname" . }}-webhook-server-cert
{{- end -}}

{{/*
The ACK kinds ackguard guards, by API group. Keep in step with the rule
registry: the chart tests compare this list with config/ and the registry.
*/}}
{{- define "ackguard.guardedResources" -}}
ec2.services.k8s.aws: [networkacls, securitygroups]
iam.services.k8s.aws: [groups, policies, roles, users]
lambda.services.k8s.aws: [aliases, functions, functionurlconfigs]
rds.services.k8s.aws: [dbclusterparametergroups, dbclusters, dbinstances, dbparametergroups, dbproxies]
s3.services.k8s.aws: [buckets]
{{- end -}}
