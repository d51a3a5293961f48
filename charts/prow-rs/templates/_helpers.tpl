{{/* Common labels of a component's objects. Call with (dict "root" $ "name" "hook"). */}}
{{- define "prow-rs.labels" -}}
app.kubernetes.io/name: prow-rs
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .name }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version }}
{{- end -}}

{{/* Selector labels of a component. */}}
{{- define "prow-rs.selector" -}}
app.kubernetes.io/name: prow-rs
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .name }}
{{- end -}}

{{/* Name of a component's objects. */}}
{{- define "prow-rs.fullname" -}}
{{- printf "%s-%s" .root.Release.Name .name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "prow-rs.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{- define "prow-rs.configMapName" -}}
{{- if .root.Values.config.existingConfigMap }}{{ .root.Values.config.existingConfigMap }}{{ else }}{{ .root.Release.Name }}-config{{ end -}}
{{- end -}}
{{- define "prow-rs.pluginsMapName" -}}
{{- if .root.Values.plugins.existingConfigMap }}{{ .root.Values.plugins.existingConfigMap }}{{ else }}{{ .root.Release.Name }}-plugins{{ end -}}
{{- end -}}
{{- define "prow-rs.jobConfigMapName" -}}
{{- if .root.Values.jobConfig.existingConfigMap }}{{ .root.Values.jobConfig.existingConfigMap }}{{ else }}{{ .root.Release.Name }}-job-config{{ end -}}
{{- end -}}

{{/*
A component's Deployment. Call with a dict:
  root: $, name: component name, values: its values, args: its own flags (list),
  github: mount GitHub credentials, hmac: mount the HMAC secret, plugins: mount plugins.yaml,
  buildClusters: mount build-cluster kubeconfigs, storage: mount storage credentials,
  ports: list of {name, port} served besides the admin port.
*/}}
{{- define "prow-rs.deployment" -}}
{{- $root := .root -}}
{{- $v := .values -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "prow-rs.fullname" . }}
  namespace: {{ $root.Release.Namespace }}
  labels:
    {{- include "prow-rs.labels" . | nindent 4 }}
spec:
  replicas: {{ $v.replicas }}
  selector:
    matchLabels:
      {{- include "prow-rs.selector" . | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "prow-rs.selector" . | nindent 8 }}
      annotations:
        checksum/config: {{ printf "%s%s%s" (toJson $root.Values.config) (toJson $root.Values.plugins) (toJson $root.Values.jobConfig) | sha256sum }}
    spec:
      serviceAccountName: {{ include "prow-rs.fullname" . }}
      automountServiceAccountToken: true
      {{- with $root.Values.imagePullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      securityContext:
        runAsNonRoot: true
        seccompProfile:
          type: RuntimeDefault
      terminationGracePeriodSeconds: 60
      containers:
        - name: {{ .name }}
          image: {{ include "prow-rs.image" $root }}
          imagePullPolicy: {{ $root.Values.image.pullPolicy }}
          command: ["/usr/local/bin/{{ .name }}"]
          args:
            - --config-path=/etc/config/config.yaml
            - --job-config-path=/etc/job-config
            - --admin-port=8081
            - --log-format={{ $root.Values.logFormat }}
            {{- if .leader }}
            - --leader-election-namespace={{ $root.Release.Namespace }}
            {{- end }}
            {{- if .plugins }}
            - --plugin-config=/etc/plugins/plugins.yaml
            {{- end }}
            {{- if .hmac }}
            - --hmac-secret-file=/etc/webhook/hmac
            {{- end }}
            {{- if .github }}
            - --github-endpoint={{ $root.Values.github.endpoint }}
            {{- if $root.Values.github.app.id }}
            - --github-app-id={{ $root.Values.github.app.id }}
            - --github-app-private-key-path=/etc/github/cert
            {{- else }}
            - --github-token-path=/etc/github/token
            {{- end }}
            {{- end }}
            {{- if and .buildClusters $root.Values.buildClustersSecret }}
            - --build-cluster-dir=/etc/build-clusters
            {{- end }}
            {{- range .args }}
            - {{ . | quote }}
            {{- end }}
            {{- range $v.extraArgs }}
            - {{ . | quote }}
            {{- end }}
          env:
            - name: POD_NAME
              valueFrom:
                fieldRef:
                  fieldPath: metadata.name
          ports:
            - name: admin
              containerPort: 8081
            {{- range .ports }}
            - name: {{ .name }}
              containerPort: {{ .port }}
            {{- end }}
          livenessProbe:
            httpGet: {path: /healthz, port: admin}
            initialDelaySeconds: 5
            periodSeconds: 10
          readinessProbe:
            httpGet: {path: /readyz, port: admin}
            periodSeconds: 5
          resources:
            {{- toYaml $v.resources | nindent 12 }}
          securityContext:
            {{- toYaml $root.Values.securityContext | nindent 12 }}
          volumeMounts:
            - {name: config, mountPath: /etc/config, readOnly: true}
            - {name: job-config, mountPath: /etc/job-config, readOnly: true}
            - {name: tmp, mountPath: /tmp}
            {{- if .plugins }}
            - {name: plugins, mountPath: /etc/plugins, readOnly: true}
            {{- end }}
            {{- if .hmac }}
            - {name: hmac, mountPath: /etc/webhook, readOnly: true}
            {{- end }}
            {{- if .github }}
            - {name: github, mountPath: /etc/github, readOnly: true}
            {{- end }}
            {{- if and .buildClusters $root.Values.buildClustersSecret }}
            - {name: build-clusters, mountPath: /etc/build-clusters, readOnly: true}
            {{- end }}
            {{- if and .storage $root.Values.storage.gcsCredentialsSecret }}
            - {name: gcs-credentials, mountPath: /etc/gcs, readOnly: true}
            {{- end }}
            {{- if and .storage $root.Values.storage.s3CredentialsSecret }}
            - {name: s3-credentials, mountPath: /etc/s3, readOnly: true}
            {{- end }}
      volumes:
        - name: config
          configMap: {name: {{ include "prow-rs.configMapName" . }}}
        - name: job-config
          configMap: {name: {{ include "prow-rs.jobConfigMapName" . }}}
        - name: tmp
          emptyDir: {}
        {{- if .plugins }}
        - name: plugins
          configMap: {name: {{ include "prow-rs.pluginsMapName" . }}}
        {{- end }}
        {{- if .hmac }}
        - name: hmac
          secret: {secretName: {{ $root.Values.hmacSecret }}}
        {{- end }}
        {{- if .github }}
        - name: github
          secret:
            {{- if $root.Values.github.app.id }}
            secretName: {{ $root.Values.github.app.privateKeySecret }}
            {{- else }}
            secretName: {{ $root.Values.github.tokenSecret }}
            {{- end }}
        {{- end }}
        {{- if and .buildClusters $root.Values.buildClustersSecret }}
        - name: build-clusters
          secret: {secretName: {{ $root.Values.buildClustersSecret }}}
        {{- end }}
        {{- if and .storage $root.Values.storage.gcsCredentialsSecret }}
        - name: gcs-credentials
          secret: {secretName: {{ $root.Values.storage.gcsCredentialsSecret }}}
        {{- end }}
        {{- if and .storage $root.Values.storage.s3CredentialsSecret }}
        - name: s3-credentials
          secret: {secretName: {{ $root.Values.storage.s3CredentialsSecret }}}
        {{- end }}
      {{- with $v.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $v.tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $v.affinity }}
      affinity:
        {{- toYaml . | nindent 8 }}
      {{- end }}
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ include "prow-rs.fullname" . }}
  namespace: {{ $root.Release.Namespace }}
  labels:
    {{- include "prow-rs.labels" . | nindent 4 }}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ include "prow-rs.fullname" . }}
  namespace: {{ $root.Release.Namespace }}
  labels:
    {{- include "prow-rs.labels" . | nindent 4 }}
spec:
  {{- toYaml $v.podDisruptionBudget | nindent 2 }}
  selector:
    matchLabels:
      {{- include "prow-rs.selector" . | nindent 6 }}
{{- end -}}

{{/*
A Role in `namespace` with `rules`, bound to the component's ServiceAccount. Call with
(dict "root" $ "name" "plank" "namespace" "ns" "suffix" "pods" "rules" (list ...)).
*/}}
{{- define "prow-rs.role" -}}
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: {{ include "prow-rs.fullname" . }}{{ if .suffix }}-{{ .suffix }}{{ end }}
  namespace: {{ .namespace }}
  labels:
    {{- include "prow-rs.labels" . | nindent 4 }}
rules:
  {{- toYaml .rules | nindent 2 }}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: {{ include "prow-rs.fullname" . }}{{ if .suffix }}-{{ .suffix }}{{ end }}
  namespace: {{ .namespace }}
  labels:
    {{- include "prow-rs.labels" . | nindent 4 }}
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: {{ include "prow-rs.fullname" . }}{{ if .suffix }}-{{ .suffix }}{{ end }}
subjects:
  - kind: ServiceAccount
    name: {{ include "prow-rs.fullname" . }}
    namespace: {{ .root.Release.Namespace }}
{{- end -}}
