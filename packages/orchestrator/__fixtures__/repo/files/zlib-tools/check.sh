#!/bin/sh
echo zlib-tools ok
