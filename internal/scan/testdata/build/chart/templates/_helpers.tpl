{{- define "site.name" -}}{{ .Release.Name }}-site{{- end -}}
