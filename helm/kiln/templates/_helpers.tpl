{{/* Chart name, overridable. */}}
{{- define "kiln.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Resource name prefix: <release>-kiln unless the release name already contains it. */}}
{{- define "kiln.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "kiln.api.fullname" -}}{{ include "kiln.fullname" . | trunc 59 | trimSuffix "-" }}-api{{- end -}}
{{- define "kiln.worker.fullname" -}}{{ include "kiln.fullname" . | trunc 56 | trimSuffix "-" }}-worker{{- end -}}

{{- define "kiln.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "kiln.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: kiln
{{- end -}}

{{/* Selector labels must never change between releases (Deployment selectors are immutable). */}}
{{- define "kiln.api.selectorLabels" -}}
app.kubernetes.io/name: {{ include "kiln.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: api
{{- end -}}

{{- define "kiln.worker.selectorLabels" -}}
app.kubernetes.io/name: {{ include "kiln.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: gpu-worker
{{- end -}}

{{- define "kiln.api.image" -}}
{{- printf "%s:%s" .Values.api.image.repository (default .Chart.AppVersion .Values.api.image.tag) -}}
{{- end -}}

{{- define "kiln.worker.image" -}}
{{- printf "%s:%s" .Values.worker.image.repository (default (printf "%s-cuda12" .Chart.AppVersion) .Values.worker.image.tag) -}}
{{- end -}}

{{- define "kiln.api.configName" -}}{{ include "kiln.api.fullname" . }}-config{{- end -}}
{{- define "kiln.worker.configName" -}}{{ include "kiln.worker.fullname" . }}-config{{- end -}}

{{/*
Jobs one worker drains within the target queue time; KEDA adds a replica per lagThreshold of lag.
  lagThreshold = max(1, maxBatchImages * targetQueueSeconds / (meanImagesPerJob * batchSeconds))
*/}}
{{- define "kiln.worker.lagThreshold" -}}
{{- $a := .Values.worker.autoscaling -}}
{{- if or (le (int $a.meanImagesPerJob) 0) (le (int $a.batchSeconds) 0) -}}
{{- fail "worker.autoscaling.meanImagesPerJob and worker.autoscaling.batchSeconds must be positive integers" -}}
{{- end -}}
{{- $t := div (mul (int .Values.worker.batching.maxBatchImages) (int $a.targetQueueSeconds)) (mul (int $a.meanImagesPerJob) (int $a.batchSeconds)) -}}
{{- max 1 $t -}}
{{- end -}}

{{/* Seconds a stopping worker may take: the batch in hand, the batching wait, then store + commit. */}}
{{- define "kiln.worker.terminationGraceSeconds" -}}
{{- $waitSeconds := div (add (int .Values.worker.batching.maxWaitMillis) 999) 1000 -}}
{{- add (int .Values.worker.longestBatchSeconds) $waitSeconds (int .Values.worker.shutdownMarginSeconds) -}}
{{- end -}}

{{/* Guard rails that would otherwise only show up as idle GPUs or stuck rollouts. */}}
{{- define "kiln.validate" -}}
{{- $partitions := int .Values.kafka.jobsTopicPartitions -}}
{{- if .Values.worker.autoscaling.enabled -}}
{{- if gt (int .Values.worker.autoscaling.maxReplicaCount) $partitions -}}
{{- fail (printf "worker.autoscaling.maxReplicaCount (%d) exceeds kafka.jobsTopicPartitions (%d): extra workers would get no partition" (int .Values.worker.autoscaling.maxReplicaCount) $partitions) -}}
{{- end -}}
{{- if gt (int .Values.worker.autoscaling.minReplicaCount) (int .Values.worker.autoscaling.maxReplicaCount) -}}
{{- fail "worker.autoscaling.minReplicaCount exceeds maxReplicaCount" -}}
{{- end -}}
{{- else if gt (int .Values.worker.replicas) $partitions -}}
{{- fail (printf "worker.replicas (%d) exceeds kafka.jobsTopicPartitions (%d)" (int .Values.worker.replicas) $partitions) -}}
{{- end -}}
{{- if and (eq .Values.worker.model.source "pvc") (not .Values.worker.model.pvc.claimName) -}}
{{- fail "worker.model.source=pvc needs worker.model.pvc.claimName" -}}
{{- end -}}
{{- if not (has .Values.worker.model.source (list "s3" "pvc")) -}}
{{- fail "worker.model.source must be s3 or pvc" -}}
{{- end -}}
{{- if and (eq .Values.worker.device "cuda") (lt (int .Values.worker.gpu.count) 1) -}}
{{- fail "worker.device=cuda needs worker.gpu.count >= 1" -}}
{{- end -}}
{{- end -}}

{{/* The service's own Redis and S3 credentials from the Secret. prefix: KILN_API | KILN_WORKER; keys: secrets.keys.api | .worker. */}}
{{- define "kiln.secretEnv" -}}
- name: {{ .prefix }}_REDIS_URI
  valueFrom:
    secretKeyRef:
      name: {{ .root.Values.secrets.name }}
      key: {{ .keys.redisUri }}
- name: {{ .prefix }}_S3_ACCESS_KEY
  valueFrom:
    secretKeyRef:
      name: {{ .root.Values.secrets.name }}
      key: {{ .keys.s3AccessKey }}
- name: {{ .prefix }}_S3_SECRET_KEY
  valueFrom:
    secretKeyRef:
      name: {{ .root.Values.secrets.name }}
      key: {{ .keys.s3SecretKey }}
{{- end -}}

{{/* Egress rules of both NetworkPolicies: one per dependency (kafka, redis, s3) on its TCP ports, plus DNS on UDP and TCP; "to" empty = any destination. */}}
{{- define "kiln.networkPolicy.egress" -}}
{{- range $name := list "kafka" "redis" "s3" }}
{{- $rule := index $ $name }}
- ports:
    {{- range $rule.ports }}
    - port: {{ . }}
      protocol: TCP
    {{- end }}
  {{- with $rule.to }}
  to:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end }}
- ports:
    {{- range .dns.ports }}
    - port: {{ . }}
      protocol: UDP
    - port: {{ . }}
      protocol: TCP
    {{- end }}
  {{- with .dns.to }}
  to:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end -}}
