# make mutate: plants every bug of test/mutants/*.txt, one at a time, in a
# scratch copy of the tree, runs the suites that should catch it and prints
# a table and a score (test/mutants/README.md). Slow: not part of make test.
#   make mutate MUTANTS=name,name   only those
mutate: build/.testdeps tinyhook
	/usr/bin/python3 test/mutants/mutate.py $(if $(MUTANTS),--only $(MUTANTS))

.PHONY: mutate
