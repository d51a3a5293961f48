// The object-storage API server prow-rs tests run (built by `hack/build-tools.sh gcs`): an
// S3 API server. fake-gcs-server (the GCS API emulator) builds, but it does not implement
// the GCS XML API that object_store's GCS client uploads with (PUT /<bucket>/<object>;
// fsouza/fake-gcs-server#331, fix #1164 unmerged), so every upload fails with
// "400 invalid uploadType"; see docs/pod-decoration.md.
module github.com/prow-rs/prow-rs/hack/tools/gcs

go 1.26.0

require github.com/johannesboyne/gofakes3 v1.2.0

require (
	github.com/ryszard/goskiplist v0.0.0-20150312221310-2dfbae5fcf46 // indirect
	github.com/spf13/afero v1.2.1 // indirect
	go.etcd.io/bbolt v1.3.5 // indirect
	go.shabbyrobe.org/gocovmerge v0.0.0-20230507111327-fa4f82cfbf4d // indirect
	golang.org/x/sys v0.7.0 // indirect
	golang.org/x/text v0.9.0 // indirect
	golang.org/x/tools v0.8.0 // indirect
	gopkg.in/check.v1 v1.0.0-20201130134442-10cb98267c6c // indirect
	gopkg.in/mgo.v2 v2.0.0-20180705113604-9856a29383ce // indirect
)
