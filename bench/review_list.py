"""review_list.py N OUT: writes what `kubectl get pods -A -o json` prints for N
pods (a kind: List, indented by 4 as kubectl does, about 5 KB a pod with
status), for bench/review_list.sh. One pod in 7 uses an untagged image and
one in 11 has no labels, so a policy has something to deny or warn about."""
import json
import sys


def pod(i):
    ns = "team-%d" % (i % 40)
    name = "api-%05d-%s" % (i, "7c9d8f6b54")
    labels = {} if i % 11 == 0 else {"app": "api-%d" % (i % 97), "owner": "team-%d" % (i % 40),
                                      "pod-template-hash": "7c9d8f6b54"}
    image = "nginx" if i % 7 == 0 else "registry.example.com/api:1.%d.%d" % (i % 13, i % 5)
    env = [{"name": "VAR_%d" % k, "value": "value-%d-%d" % (i, k)} for k in range(2)]
    c = {"name": "api", "image": image, "imagePullPolicy": "IfNotPresent",
         "ports": [{"containerPort": 8080, "name": "http", "protocol": "TCP"}],
         "env": env,
         "resources": {"limits": {"cpu": "500m", "memory": "256Mi"},
                       "requests": {"cpu": "100m", "memory": "128Mi"}},
         "securityContext": {"allowPrivilegeEscalation": False, "runAsNonRoot": True,
                             "capabilities": {"drop": ["ALL"]}},
         "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File",
         "volumeMounts": [{"mountPath": "/var/run/secrets/kubernetes.io/serviceaccount",
                           "name": "kube-api-access-%05d" % i, "readOnly": True}]}
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"creationTimestamp": "2024-05-02T14:03:11Z", "generateName": "api-7c9d8f6b54-",
                         "labels": labels, "name": name, "namespace": ns,
                         "ownerReferences": [{"apiVersion": "apps/v1", "blockOwnerDeletion": True,
                                              "controller": True, "kind": "ReplicaSet",
                                              "name": "api-7c9d8f6b54",
                                              "uid": "e1d2c3b4-a596-4877-8695-%012d" % i}],
                         "resourceVersion": str(48213377 + i), "uid": "4c1f2e3d-5a6b-4789-9abc-%012d" % i},
            "spec": {"containers": [c], "dnsPolicy": "ClusterFirst", "enableServiceLinks": True,
                     "nodeName": "node-%d" % (i % 20), "preemptionPolicy": "PreemptLowerPriority",
                     "priority": 0, "restartPolicy": "Always", "schedulerName": "default-scheduler",
                     "securityContext": {"fsGroup": 2000, "runAsUser": 1000},
                     "serviceAccount": "default", "serviceAccountName": "default",
                     "terminationGracePeriodSeconds": 30,
                     "volumes": [{"name": "kube-api-access-%05d" % i,
                                  "projected": {"defaultMode": 420, "sources": [
                                      {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}}]}}]},
            "status": {"conditions": [{"lastProbeTime": None, "lastTransitionTime": "2024-05-02T14:03:%02dZ" % (k * 7),
                                       "status": "True", "type": t}
                                      for k, t in enumerate(["Ready", "PodScheduled"])],
                       "containerStatuses": [{"containerID": "containerd://%064x" % i, "image": image,
                                              "imageID": "docker.io/library/nginx@sha256:%064x" % (i * 7),
                                              "lastState": {}, "name": "api", "ready": True,
                                              "restartCount": 0, "started": True,
                                              "state": {"running": {"startedAt": "2024-05-02T14:03:15Z"}}}],
                       "hostIP": "10.0.%d.%d" % (i % 20, i % 250), "phase": "Running",
                       "podIP": "10.244.%d.%d" % (i % 250, i % 200),
                       "podIPs": [{"ip": "10.244.%d.%d" % (i % 250, i % 200)}],
                       "qosClass": "Burstable", "startTime": "2024-05-02T14:03:11Z"}}


def main():
    n, out = int(sys.argv[1]), sys.argv[2]
    doc = {"apiVersion": "v1", "items": [pod(i) for i in range(n)], "kind": "List",
           "metadata": {"resourceVersion": ""}}
    with open(out, "w") as f:
        json.dump(doc, f, indent=4)
        f.write("\n")


if __name__ == "__main__":
    main()
