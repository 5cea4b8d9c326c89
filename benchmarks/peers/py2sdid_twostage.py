"""py2sdid: ts_did two-stage DiD (Gardner 2022), overall ATT and event-time effects, unit-clustered SEs."""

from _child import run
import py2sdid
from py2sdid_imputation import estimate

if __name__ == "__main__":
    run(lambda data: estimate(data, py2sdid.ts_did, reported=lambda e: e != -1))
