module github.com/acme/acme/meta

go 1.22
