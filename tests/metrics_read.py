"""A metric's value now, as /metrics would serve it: this process's counts flushed, every process's read from Redis."""

from faceapp import metrics


def counted(sample_name: str, **labels) -> float:
    metrics.flush()
    wanted = {name: str(value) for name, value in labels.items()}
    for family in metrics.RedisCollector().collect():
        for sample in family.samples:
            if sample.name == sample_name and sample.labels == wanted:
                return sample.value
    return 0.0
