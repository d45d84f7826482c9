// One cluster at a time: the namespaces, PostgreSQL and silos are the machine's.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
