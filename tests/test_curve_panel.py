"""The training curves: every step and epoch lands on its curve; the loss axis only grows."""
import math

import numpy as np

from engine.train import TrainEvent
from gui.widgets.curve_panel import CurvePanel


def step(k, loss, acc=0.5):
    return TrainEvent("step", 0, k, 20, loss, acc, 1000.0, 0.1 * k)


def test_steps_and_epochs_land_on_their_curves(qtbot):
    panel = CurvePanel()
    qtbot.addWidget(panel)
    panel.set_epochs(2)
    panel.add_events([step(k, 2.3 - 0.1 * k, 0.05 * k) for k in range(1, 11)], steps_per_epoch=10)
    epoch = TrainEvent("epoch", 0, 10, 20, 1.8, 0.5, 1000.0, 1.0, train_accuracy=0.6,
                       test_accuracy=0.55, test_loss=1.7)
    panel.add_events([epoch], steps_per_epoch=10)
    assert panel.point_counts() == {"step_loss": 10, "test_loss": 1, "step_acc": 10,
                                    "epoch_train_acc": 1, "test_acc": 1}
    xs, ys = panel.step_loss.getData()
    np.testing.assert_allclose(xs, np.arange(1, 11) / 10)           # x in epochs
    np.testing.assert_allclose(ys, [2.3 - 0.1 * k for k in range(1, 11)])
    assert abs(panel.test_acc.getData()[1][0] - 55.0) < 1e-9          # accuracy in %


def test_loss_axis_grows_but_never_shrinks_and_ignores_nan(qtbot):
    panel = CurvePanel()
    qtbot.addWidget(panel)
    panel.add_events([step(1, 2.3), step(2, 1.9)], steps_per_epoch=10)
    lo, hi = panel.loss_plot.getViewBox().viewRange()[1]
    assert lo <= 0 and 2.3 <= hi < 2.9
    panel.add_events([step(3, 0.4), step(4, math.nan)], steps_per_epoch=10)   # falls, then NaN
    assert panel.loss_plot.getViewBox().viewRange()[1] == [lo, hi]
    assert np.isnan(panel.step_loss.getData()[1][-1])
    panel.add_events([step(5, 4.0)], steps_per_epoch=10)                       # a spike: grows
    assert panel.loss_plot.getViewBox().viewRange()[1][1] >= 4.0
    panel.clear_curves()
    assert panel.point_counts()["step_loss"] == 0
    assert panel.loss_plot.getViewBox().viewRange()[1][1] < 1.1
