# Shipping: certificates, the OCI image (no Docker), Kubernetes manifests.
#   make certs      CA + serving cert for SVC.NS.svc in certs/out/ (FORCE=1 to replace,
#                   ROTATE=1 to issue a new serving cert under the same CA)
#   make image      tinyhook-<tag>-<arch>.oci.tar (OCI layout + docker-archive),
#                   tagged tinyhook:<tag>, <tag> = <version>-<policy>-<policy hash>
#   make image-multiarch  tinyhook-<tag>.oci.tar: one index, amd64, arm64 and armv7
#   make manifests  tinyhook.yaml (0600: it holds the TLS key): everything
#                   `kubectl apply -f` needs, caBundle filled in; also k8s/generated/
#   make manifests-cert-manager  tinyhook-cert-manager.yaml (cert-manager issues the certs)
#   make manifests-host  tinyhook-host.yaml: webhooks at https://127.0.0.1:9443 (k8s/host/)
#   make k8s-check  check the rendered tinyhook.yaml

SVC	?= tinyhook
NS	?= tinyhook
DAYS	?= 365
CERTS_OUT ?= certs/out
CERT_KEY ?= ec
IMAGE_ARCH ?= $(subst x86_64,amd64,$(subst aarch64,arm64,$(ARCH)))
IMAGE	:= tinyhook-$(IMAGE_TAG)-$(IMAGE_ARCH).oci.tar
MULTI_IMAGE := tinyhook-$(IMAGE_TAG).oci.tar
MULTI_ARCHES := amd64 arm64 armv7

certs:
	MKCERTS_MAKE=1 sh certs/mkcerts.sh --out $(CERTS_OUT) --service $(SVC) --namespace $(NS) \
	    --days $(DAYS) --key $(CERT_KEY) $(if $(filter 1,$(FORCE) $(ROTATE)),--force) \
	    $(if $(filter 1,$(ROTATE)),--reuse-ca)

$(CERTS_OUT)/tls.crt:
	MKCERTS_MAKE=1 sh certs/mkcerts.sh --out $(CERTS_OUT) --service $(SVC) --namespace $(NS) \
	    --days $(DAYS) --key $(CERT_KEY)

image: $(OUT)
	sh scripts/mkimage.sh --binary $(OUT) --out $(IMAGE) --arch $(IMAGE_ARCH) \
	    --version $(VERSION) --policy-name $(PNAME) --policy-hash $(PHASH) \
	    --tag tinyhook:$(IMAGE_TAG)

# The binary of each architecture (cross-built, the same BearSSL source).
arch-bin = $(if $(filter amd64,$(1)),tinyhook,tinyhook-$(1))
MULTI_BINS := $(foreach a,$(MULTI_ARCHES),$(call arch-bin,$(a)))
multiarch-bins:
	$(foreach a,$(MULTI_ARCHES),$(MAKE) -s ARCH=$(a) VERSION=$(VERSION) POLICY=$(POLICY) $(call arch-bin,$(a)) &&) true

# Every architecture in one OCI index; runtimes pull their own.
image-multiarch: multiarch-bins
	sh scripts/mkimage.sh $(foreach a,$(MULTI_ARCHES),--platform $(a)=$(call arch-bin,$(a))) \
	    --out $(MULTI_IMAGE) --version $(VERSION) \
	    --policy-name $(PNAME) --policy-hash $(PHASH) --tag tinyhook:$(IMAGE_TAG)

# k8s/generated/ (git-ignored) holds what the kustomize base needs from the
# build: the serving key pair and `tinyhook manifests` output.
# The image tag and the pod template's policy annotations come from the
# binary's --version, so they always name the policy it was built with.
manifests: tinyhook $(CERTS_OUT)/tls.crt
	sh k8s/render.sh --tinyhook ./tinyhook --certs $(CERTS_OUT) \
	    --namespace $(NS) --service $(SVC) --out tinyhook.yaml

manifests-cert-manager: tinyhook
	sh k8s/render.sh --mode cert-manager --tinyhook ./tinyhook \
	    --out tinyhook-cert-manager.yaml

# Host mode: certificates for 127.0.0.1 in certs/out/host/ (copy them to
# /etc/tinyhook/certs on the k3s server; see k8s/README.md).
HOST_CERTS ?= certs/out/host
HOST_URL ?= https://127.0.0.1:9443
$(HOST_CERTS)/tls.crt:
	MKCERTS_MAKE=1 sh certs/mkcerts.sh --out $(HOST_CERTS) --host 127.0.0.1 --days $(DAYS) --key $(CERT_KEY)

manifests-host: tinyhook $(HOST_CERTS)/tls.crt
	sh k8s/render.sh --mode host --tinyhook ./tinyhook --certs $(HOST_CERTS) \
	    --url $(HOST_URL) --out tinyhook-host.yaml

k8s-check: tinyhook.yaml
	/usr/bin/python3 k8s/check.py check tinyhook.yaml --namespace $(NS) \
	    --ca-bundle $(CERTS_OUT)/cabundle.b64

.PHONY: certs image image-multiarch multiarch-bins manifests manifests-cert-manager manifests-host k8s-check
