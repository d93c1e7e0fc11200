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
Jobs one worker drains within the target queue time when it runs full; KEDA adds a replica per
lagThreshold of lag. With a backlog, every UNet call (stepMillis) steps maxRows rows once, and a job
needs rowsPerImage * meanImagesPerJob rows for meanSteps calls (step-level batching, docs/batching.md).
  lagThreshold = max(1, maxRows * targetQueueSeconds * 1000 / (rowsPerImage * meanImagesPerJob * meanSteps * stepMillis))
*/}}
{{- define "kiln.worker.lagThreshold" -}}
{{- $a := .Values.worker.autoscaling -}}
{{- range $name := list "targetQueueSeconds" "stepMillis" "meanSteps" "meanImagesPerJob" "rowsPerImage" -}}
{{- if le (int (index $a $name)) 0 -}}
{{- fail (printf "worker.autoscaling.%s must be a positive integer" $name) -}}
{{- end -}}
{{- end -}}
{{- $rowSeconds := mul (int .Values.worker.batching.maxRows) (int $a.targetQueueSeconds) 1000 -}}
{{- $rowsPerJobStepMillis := mul (int $a.rowsPerImage) (int $a.meanImagesPerJob) (int $a.meanSteps) (int $a.stepMillis) -}}
{{- max 1 (div $rowSeconds $rowsPerJobStepMillis) -}}
{{- end -}}

{{/*
Seconds the worker drains for at shutdown (kiln.worker.shutdown.grace): queued jobs are left for
redelivery, the running ones finish (abandoned past 3/4 of the grace, so 3/4 of it must cover the
longest job), then the last results are stored, settled and committed.
  shutdownGraceSeconds = ceil(longestJobSeconds * 4 / 3) + shutdownMarginSeconds
*/}}
{{- define "kiln.worker.shutdownGraceSeconds" -}}
{{- $longest := int .Values.worker.longestJobSeconds -}}
{{- add (div (add (mul $longest 4) 2) 3) (int .Values.worker.shutdownMarginSeconds) -}}
{{- end -}}

{{/* Pod grace: the worker's drain, then Quarkus' own stop (quarkus.shutdown.timeout, 5 s) and the JVM exit. */}}
{{- define "kiln.worker.terminationGraceSeconds" -}}
{{- add (include "kiln.worker.shutdownGraceSeconds" . | int) 10 -}}
{{- end -}}

{{/* Guard rails for what would otherwise only show up as idle GPUs, stuck rollouts or silently ignored values. */}}
{{- define "kiln.validate" -}}
{{- if hasKey .Values.worker.batching "maxBatchImages" -}}
{{- fail "worker.batching.maxBatchImages was removed with the static batcher: set worker.batching.maxRows (UNet rows per call; an image with guidance is 2 rows)" -}}
{{- end -}}
{{- if hasKey .Values.worker.batching "maxWaitMillis" -}}
{{- fail "worker.batching.maxWaitMillis was removed with the static batcher: step-level batching never holds a job; delete it" -}}
{{- end -}}
{{- if hasKey .Values.worker "longestBatchSeconds" -}}
{{- fail "worker.longestBatchSeconds was replaced by worker.longestJobSeconds (the slowest job on a full worker)" -}}
{{- end -}}
{{- if hasKey .Values.worker.autoscaling "batchSeconds" -}}
{{- fail "worker.autoscaling.batchSeconds was replaced by worker.autoscaling.stepMillis and meanSteps (docs/operations.md)" -}}
{{- end -}}
{{- if lt (int .Values.worker.batching.maxRows) 1 -}}
{{- fail "worker.batching.maxRows must be at least 1" -}}
{{- end -}}
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
