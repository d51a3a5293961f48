// Loads a Prow configuration with Prow's own loader and prints, for each named job, the
// ProwJob Prow's pjutil makes for it and the Pod decorate.ProwJobToPod builds from it.
//
//	prowgen -config config.yaml -job-config jobs/ -source <label> presubmit:<org/repo>:<job> periodic:<job> ...
//	prowgen -prowjobs cases.json   # [{"source": ..., "prowjob": ...}]: decorate these ProwJobs
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	prowapi "sigs.k8s.io/prow/pkg/apis/prowjobs/v1"
	"sigs.k8s.io/prow/pkg/config"
	"sigs.k8s.io/prow/pkg/pjutil"
	"sigs.k8s.io/prow/pkg/pod-utils/decorate"
)

type output struct {
	Source  string          `json:"source"`
	ProwJob prowapi.ProwJob `json:"prowjob"`
	Pod     interface{}     `json:"pod"`
}

func main() {
	configPath := flag.String("config", "", "config.yaml")
	jobConfig := flag.String("job-config", "", "job config dir")
	source := flag.String("source", "", "label of the config")
	prowjobs := flag.String("prowjobs", "", "JSON file of {source, prowjob} to decorate")
	flag.Parse()
	if *prowjobs != "" {
		decorateFile(*prowjobs)
		return
	}
	cfg, err := config.Load(*configPath, *jobConfig, nil, "")
	if err != nil {
		panic(err)
	}
	var outs []output
	for i, arg := range flag.Args() {
		parts := strings.Split(arg, ":")
		var spec prowapi.ProwJobSpec
		var labels, annotations map[string]string
		switch parts[0] {
		case "presubmit":
			repo, name := parts[1], parts[2]
			org, r, _ := strings.Cut(repo, "/")
			found := false
			for _, p := range cfg.PresubmitsStatic[repo] {
				if p.Name != name {
					continue
				}
				refs := prowapi.Refs{
					Org: org, Repo: r, RepoLink: "https://github.com/" + repo,
					BaseRef: "main", BaseSHA: "7a6e2c1f1f0a6d2b9f0e4c1d2a3b4c5d6e7f8091",
					BaseLink: "https://github.com/" + repo + "/commit/7a6e2c1f1f0a6d2b9f0e4c1d2a3b4c5d6e7f8091",
					Pulls: []prowapi.Pull{{
						Number: 4242, Author: "contributor", SHA: "c0ffee0123456789abcdef0123456789abcdef01",
						Title: "Fix the <flaky> test & more", HeadRef: "fix-flake",
						Link:       "https://github.com/" + repo + "/pull/4242",
						AuthorLink: "https://github.com/contributor",
					}},
				}
				spec = pjutil.PresubmitSpec(p, refs)
				labels, annotations = p.Labels, p.Annotations
				found = true
				break
			}
			if !found {
				panic("no presubmit " + arg)
			}
		case "postsubmit":
			repo, name := parts[1], parts[2]
			org, r, _ := strings.Cut(repo, "/")
			found := false
			for _, p := range cfg.PostsubmitsStatic[repo] {
				if p.Name != name {
					continue
				}
				refs := prowapi.Refs{Org: org, Repo: r, BaseRef: "main", BaseSHA: "7a6e2c1f1f0a6d2b9f0e4c1d2a3b4c5d6e7f8091"}
				spec = pjutil.PostsubmitSpec(p, refs)
				labels, annotations = p.Labels, p.Annotations
				found = true
				break
			}
			if !found {
				panic("no postsubmit " + arg)
			}
		case "periodic":
			found := false
			for _, p := range cfg.AllPeriodics() {
				if p.Name != parts[1] {
					continue
				}
				spec = pjutil.PeriodicSpec(p)
				labels, annotations = p.Labels, p.Annotations
				found = true
				break
			}
			if !found {
				panic("no periodic " + arg)
			}
		default:
			panic("bad job " + arg)
		}
		pj := pjutil.NewProwJob(spec, labels, annotations)
		pj.Name = fmt.Sprintf("8d3e0b52-6a1f-4c1e-9d3b-%012d", i+1)
		pj.Namespace = cfg.ProwJobNamespace
		start := metav1.NewTime(time.Date(2026, 8, 22, 10, 0, 0, 0, time.UTC))
		pj.Status = prowapi.ProwJobStatus{StartTime: start, State: prowapi.PendingState, BuildID: fmt.Sprintf("18000000000000%05d", i+1)}
		pod, err := decorate.ProwJobToPod(pj)
		if err != nil {
			panic(err)
		}
		outs = append(outs, output{Source: *source + " " + arg, ProwJob: pj, Pod: pod})
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(outs); err != nil {
		panic(err)
	}
}

func decorateFile(path string) {
	data, err := os.ReadFile(path)
	if err != nil {
		panic(err)
	}
	var outs []output
	if err := json.Unmarshal(data, &outs); err != nil {
		panic(err)
	}
	for i := range outs {
		pod, err := decorate.ProwJobToPod(outs[i].ProwJob)
		if err != nil {
			panic(err)
		}
		outs[i].Pod = pod
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(outs); err != nil {
		panic(err)
	}
}
