{{- define "gitpod.labels" -}}
app.kubernetes.io/part-of: gitpod
app.kubernetes.io/managed-by: {{ .Release.Service }}
gitpod.io/cluster: {{ required "installation.shortname is required" .Values.installation.shortname | quote }}
gitpod.io/region: {{ required "installation.region is required" .Values.installation.region | quote }}
gitpod.io/stage: {{ required "installation.stage is required" .Values.installation.stage | quote }}
{{- end -}}
