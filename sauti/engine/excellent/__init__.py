"""(being built: see the package modules)"""
