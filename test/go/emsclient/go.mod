module tinyhook.test/emsclient

go 1.19
