# Shipping: certificates, the OCI image (no Docker), Kubernetes manifests.
#   make certs      CA + serving cert for SVC.NS.svc in certs/out/ (FORCE=1 to replace,
#                   ROTATE=1 to issue a new serving cert under the same CA)
#   make image      tinyhook-<version>-<arch>.oci.tar (OCI layout + docker-archive)
#   make image-multiarch  tinyhook-<version>.oci.tar: one index, amd64 and arm64
#   make manifests  tinyhook.yaml: everything `kubectl apply -f` needs, caBundle filled in
#   make manifests-cert-manager  tinyhook-cert-manager.yaml (cert-manager issues the certs)
#   make manifests-host  tinyhook-host.yaml: webhooks at https://127.0.0.1:9443 (k8s/host/)
#   make k8s-check  check the rendered tinyhook.yaml

SVC	?= tinyhook
NS	?= tinyhook
DAYS	?= 365
CERTS_OUT ?= certs/out
CERT_KEY ?= ec
IMAGE_ARCH ?= $(subst x86_64,amd64,$(subst aarch64,arm64,$(ARCH)))
IMAGE	:= tinyhook-$(VERSION)-$(IMAGE_ARCH).oci.tar

certs:
	sh certs/mkcerts.sh --out $(CERTS_OUT) --service $(SVC) --namespace $(NS) \
	    --days $(DAYS) --key $(CERT_KEY) $(if $(filter 1,$(FORCE) $(ROTATE)),--force) \
	    $(if $(filter 1,$(ROTATE)),--reuse-ca)

$(CERTS_OUT)/tls.crt:
	sh certs/mkcerts.sh --out $(CERTS_OUT) --service $(SVC) --namespace $(NS) \
	    --days $(DAYS) --key $(CERT_KEY)

image: $(OUT)
	sh scripts/mkimage.sh --binary $(OUT) --out $(IMAGE) --arch $(IMAGE_ARCH) \
	    --version $(VERSION) --policy-name $(PNAME) --policy-hash $(PHASH)

# Both architectures in one OCI index (the arm64 binary is cross-built).
image-multiarch: tinyhook
	$(MAKE) -s ARCH=arm64 tinyhook-arm64
	sh scripts/mkimage.sh --platform amd64=tinyhook --platform arm64=tinyhook-arm64 \
	    --out tinyhook-$(VERSION).oci.tar --version $(VERSION) \
	    --policy-name $(PNAME) --policy-hash $(PHASH)

# k8s/generated/ (git-ignored) holds what the kustomize base needs from the
# build: the serving key pair and `tinyhook manifests` output.
manifests: tinyhook $(CERTS_OUT)/tls.crt
	sh k8s/render.sh --tinyhook ./tinyhook --certs $(CERTS_OUT) --image-tag $(VERSION) \
	    --namespace $(NS) --service $(SVC) --out tinyhook.yaml

manifests-cert-manager: tinyhook
	sh k8s/render.sh --mode cert-manager --tinyhook ./tinyhook --image-tag $(VERSION) \
	    --out tinyhook-cert-manager.yaml

# Host mode: certificates for 127.0.0.1 in certs/out/host/ (copy them to
# /etc/tinyhook/certs on the k3s server; see k8s/README.md).
HOST_CERTS ?= certs/out/host
HOST_URL ?= https://127.0.0.1:9443
$(HOST_CERTS)/tls.crt:
	sh certs/mkcerts.sh --out $(HOST_CERTS) --host 127.0.0.1 --days $(DAYS) --key $(CERT_KEY)

manifests-host: tinyhook $(HOST_CERTS)/tls.crt
	sh k8s/render.sh --mode host --tinyhook ./tinyhook --certs $(HOST_CERTS) \
	    --url $(HOST_URL) --out tinyhook-host.yaml

k8s-check: tinyhook.yaml
	/usr/bin/python3 k8s/check.py check tinyhook.yaml --namespace $(NS) \
	    --ca-bundle $(CERTS_OUT)/cabundle.b64

.PHONY: certs image image-multiarch manifests manifests-cert-manager manifests-host k8s-check
