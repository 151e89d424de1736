{{/* Chart name (nameOverride when set), truncated to the 63 characters Kubernetes names allow. */}}
{{- define "ackguard.name" -}}
{{- .Values.nameOverride | default .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
Resource name prefix: the release name, plus the chart name when they
differ. At most 47 characters, so that every name built on it that must fit
in 63 does: the webhook Service (-webhook-service, 16 more), the CRD upgrade
Job (its name is a label of its pods) and the Certificate (cert-manager
labels its requests with its name). TestChartLongReleaseName holds it.
*/}}
{{- define "ackguard.fullname" -}}
{{- $name := .Values.nameOverride | default .Chart.Name -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 47 | trimSuffix "-" -}}
{{- else if contains $name .Release.Name -}}
{{- .Release.Name | trunc 47 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 47 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "ackguard.labels" -}}
app.kubernetes.io/name: {{ include "ackguard.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
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

{{/* An image reference: global.imageRegistry (a mirror), when set, replaces the repository's registry; a digest, when set, pins the image instead of the tag. Call with (dict "image" .Values.x.image "root" $ "tag" default-tag). */}}
{{- define "ackguard.image" -}}
{{- $repo := .image.repository -}}
{{- $registry := (.root.Values.global | default dict).imageRegistry | default "" -}}
{{- if $registry -}}
{{- $parts := splitList "/" $repo -}}
{{- if and (gt (len $parts) 1) (or (contains "." (first $parts)) (contains ":" (first $parts)) (eq (first $parts) "localhost")) -}}
{{- $repo = join "/" (rest $parts) -}}
{{- end -}}
{{- $repo = printf "%s/%s" (trimSuffix "/" $registry) $repo -}}
{{- end -}}
{{- if .image.digest -}}
{{- printf "%s@%s" $repo .image.digest -}}
{{- else -}}
{{- printf "%s:%s" $repo (.image.tag | default .tag | toString) -}}
{{- end -}}
{{- end -}}

{{/* imagePullSecrets of every pod: the chart's and global.imagePullSecrets, whose items a parent chart may give as names ("regcred", the Bitnami charts' convention) or as references ({name: regcred}). */}}
{{- define "ackguard.imagePullSecrets" -}}
{{- $secrets := list -}}
{{- range concat (.Values.imagePullSecrets | default list) ((.Values.global | default dict).imagePullSecrets | default list) -}}
{{- $secrets = append $secrets (kindIs "string" . | ternary (dict "name" .) .) -}}
{{- end -}}
{{- with $secrets -}}
imagePullSecrets:
{{ toYaml . }}
{{- end -}}
{{- end -}}

{{/* The manager pods' labels: the selector labels and podLabels. */}}
{{- define "ackguard.podLabels" -}}
{{ include "ackguard.selectorLabels" . }}
{{- with .Values.podLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{- define "ackguard.metricsServiceName" -}}
{{ include "ackguard.fullname" . }}-metrics
{{- end -}}

{{/* Pod settings every pod of the chart shares (hook Jobs, the test pod). */}}
{{- define "ackguard.auxPodSpec" -}}
{{- with include "ackguard.imagePullSecrets" . }}
{{ . }}
{{- end }}
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/* Annotations of the CRD upgrade hook's objects (dict "weight" W). */}}
{{- define "ackguard.crdUpgradeHook" -}}
helm.sh/hook: pre-install,pre-upgrade
helm.sh/hook-weight: {{ .weight | quote }}
helm.sh/hook-delete-policy: before-hook-creation,hook-succeeded
{{- end -}}

{{/* Annotations of the uninstall hook's objects (dict "weight" W). */}}
{{- define "ackguard.uninstallHook" -}}
helm.sh/hook: pre-delete
helm.sh/hook-weight: {{ .weight | quote }}
helm.sh/hook-delete-policy: before-hook-creation,hook-succeeded
{{- end -}}

{{/*
The container security context of the chart's other pods (hook Jobs, test
pod): the manager's, as the nobody user (kubectl images may run as root)
unless securityContext or podSecurityContext names the user or group, which
then applies to these pods too (a UID range the namespace enforces, as
OpenShift's restricted SCC does).
*/}}
{{- define "ackguard.auxSecurityContext" -}}
{{- $ctx := deepCopy (.Values.securityContext | default dict) -}}
{{- $pod := .Values.podSecurityContext | default dict -}}
{{- range $key := list "runAsUser" "runAsGroup" -}}
{{- if and (not (hasKey $ctx $key)) (not (hasKey $pod $key)) -}}
{{- $_ := set $ctx $key 65534 -}}
{{- end -}}
{{- end -}}
{{- toYaml $ctx }}
{{- end -}}

{{/*
Annotations of the `helm test` objects (dict "weight" W, and "keep" true for
the Pod). Helm deletes hook-succeeded objects before `helm test --logs`
reads the Pod's log, which then fails a passing test ("pods not found"):
the Pod stays until the next `helm test` replaces it (or the uninstall
hook, templates/webhook-cleanup.yaml, deletes it).
*/}}
{{- define "ackguard.testHook" -}}
helm.sh/hook: test
helm.sh/hook-weight: {{ .weight | quote }}
helm.sh/hook-delete-policy: {{ if .keep }}before-hook-creation{{ else }}before-hook-creation,hook-succeeded{{ end }}
{{- end -}}

{{/* A Go duration ("1m30s", "500ms") in seconds, for the checks of validate.yaml. */}}
{{- define "ackguard.seconds" -}}
{{- $total := 0.0 -}}
{{- $units := dict "ns" 0.000000001 "us" 0.000001 "µs" 0.000001 "ms" 0.001 "s" 1.0 "m" 60.0 "h" 3600.0 -}}
{{- range regexFindAll "[0-9]+(\\.[0-9]+)?(ns|us|µs|ms|s|m|h)" (toString .) -1 -}}
{{- $num := regexFind "^[0-9]+(\\.[0-9]+)?" . -}}
{{- $total = addf $total (mulf (float64 $num) (get $units (trimPrefix $num .))) -}}
{{- end -}}
{{- $total -}}
{{- end -}}
