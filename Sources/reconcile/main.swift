import ReconcileCLI

ReconcileCommand.run()
