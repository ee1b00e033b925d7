{{/*
Names. The full name is kept short enough that "<fullname>-node-NN" (a pod
name and a topology node name, at most 64 characters of a-z, 0-9, '-') fits.
*/}}
{{- define "strata.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 40 | trimSuffix "-" -}}
{{- end -}}

{{- define "strata.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "strata.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "strata.labels" -}}
helm.sh/chart: {{ include "strata.chart" . }}
app.kubernetes.io/name: {{ include "strata.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "strata.selectorLabels" -}}
app.kubernetes.io/name: {{ include "strata.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* The StatefulSet of the nodes, its headless Service, and a node's name. */}}
{{- define "strata.nodesName" -}}
{{- printf "%s-node" (include "strata.fullname" .) -}}
{{- end -}}

{{- define "strata.nodesService" -}}
{{- printf "%s-nodes" (include "strata.fullname" .) -}}
{{- end -}}

{{- define "strata.gatewayName" -}}
{{- printf "%s-gateway" (include "strata.fullname" .) -}}
{{- end -}}

{{- define "strata.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{- define "strata.credentialsSecret" -}}
{{- default (printf "%s-credentials" (include "strata.fullname" .)) .Values.credentials.existingSecret -}}
{{- end -}}

{{- define "strata.clusterSecret" -}}
{{- default (printf "%s-cluster-secret" (include "strata.fullname" .)) .Values.clusterSecret.existingSecret -}}
{{- end -}}

{{/*
The topology every process reads (server/topology.h): nodes with their
internal API addresses, pools of erasure sets of "NODE:PATH" drives, and the
S3 storage class map. Sets are formed per pool, drive-major: the pool's
first drive of node 0..N-1, then its second drive of node 0..N-1, ..., cut
into sets of data + parity drives. tests/e2e/test_helm.py re-implements this
loop and proves that `strata` accepts what it produces: change both together.
*/}}
{{- define "strata.topology" -}}
{{- $nodesName := include "strata.nodesName" . -}}
{{- $nodesService := include "strata.nodesService" . -}}
{{- $count := int .Values.nodes.count -}}
{{- if lt $count 1 -}}
{{- fail "nodes.count must be at least 1" -}}
{{- end -}}
{{- $nodes := dict -}}
{{- range $i := until $count -}}
{{- $node := printf "%s-%d" $nodesName $i -}}
{{- $address := printf "%s.%s.%s.svc.%s:%d" $node $nodesService $.Release.Namespace $.Values.clusterDomain (int $.Values.nodes.port) -}}
{{- $_ := set $nodes $node (dict "address" $address "tls" $.Values.tls.internal.enabled) -}}
{{- end -}}
{{- $pools := list -}}
{{- range $pool := .Values.pools -}}
{{- $drives := list -}}
{{- range $drive := $.Values.nodes.drives -}}
{{- if eq $drive.pool $pool.name -}}
{{- range $i := until $count -}}
{{- $drives = append $drives (printf "%s-%d:%s/%s" $nodesName $i $.Values.nodes.dataPath $drive.name) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- $width := add (int $pool.data) (int $pool.parity) -}}
{{- if eq (len $drives) 0 -}}
{{- fail (printf "pool %s has no drive in nodes.drives" $pool.name) -}}
{{- end -}}
{{- if ne (mod (len $drives) $width) 0 -}}
{{- fail (printf "pool %s: %d drives (nodes.count x its drives) is not a multiple of data + parity = %d" $pool.name (len $drives) $width) -}}
{{- end -}}
{{- $sets := list -}}
{{- range $s := until (div (len $drives) $width | int) -}}
{{- $sets = append $sets (slice $drives (mul $s $width) (mul (add $s 1) $width)) -}}
{{- end -}}
{{- $pools = append $pools (dict "name" $pool.name "data" (int $pool.data) "parity" (int $pool.parity) "sets" $sets) -}}
{{- end -}}
{{- $topology := dict "nodes" $nodes "pools" $pools -}}
{{- if .Values.s3StorageClasses -}}
{{- $_ := set $topology "storage_classes" .Values.s3StorageClasses -}}
{{- end -}}
{{- toPrettyJson $topology -}}
{{- end -}}

{{/* Liveness and readiness probes on an admin listener. Arguments: (list $ port scheme). */}}
{{- define "strata.probes" -}}
{{- $root := index . 0 -}}
{{- $port := index . 1 -}}
{{- $scheme := index . 2 -}}
startupProbe:
  httpGet:
    path: /health/live
    port: {{ $port }}
    scheme: {{ $scheme }}
  periodSeconds: {{ $root.Values.probes.startupPeriodSeconds }}
  timeoutSeconds: {{ $root.Values.probes.timeoutSeconds }}
  failureThreshold: {{ $root.Values.probes.startupFailureThreshold }}
livenessProbe:
  httpGet:
    path: /health/live
    port: {{ $port }}
    scheme: {{ $scheme }}
  periodSeconds: {{ $root.Values.probes.livenessPeriodSeconds }}
  timeoutSeconds: {{ $root.Values.probes.timeoutSeconds }}
  failureThreshold: {{ $root.Values.probes.livenessFailureThreshold }}
readinessProbe:
  httpGet:
    path: /health/ready
    port: {{ $port }}
    scheme: {{ $scheme }}
  periodSeconds: {{ $root.Values.probes.readinessPeriodSeconds }}
  timeoutSeconds: {{ $root.Values.probes.timeoutSeconds }}
{{- end -}}
