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


def epoch_end(k, test_acc, test_loss=1.5):
    return TrainEvent("epoch", 0, k, 20, 1.8, 0.5, 1000.0, 1.0, train_accuracy=0.6,
                      test_accuracy=test_acc, test_loss=test_loss)


def one_run(panel, losses, label="", epochs=1):
    panel.start_run(epochs, label)
    panel.add_events([step(k + 1, v) for k, v in enumerate(losses)], steps_per_epoch=len(losses))
    panel.add_events([epoch_end(len(losses), 0.5)], steps_per_epoch=len(losses))


def faded(panel):
    return [i for i in panel.loss_plot.listDataItems() if i.zValue() < 0 and i.isVisible()]


def test_earlier_runs_stay_faded_with_their_label_until_cleared(qtbot):
    panel = CurvePanel()
    qtbot.addWidget(panel)
    one_run(panel, [2.0, 1.5, 1.0])
    one_run(panel, [3.0, 2.0], label="run A: 50%")
    assert panel.previous_runs() == ["run A: 50%"]
    (old,) = faded(panel)
    np.testing.assert_allclose(old.getData()[1], [2.0, 1.5, 1.0])     # the first run's losses
    np.testing.assert_allclose(old.getData()[0], [1 / 3, 2 / 3, 1.0])
    np.testing.assert_allclose(panel.step_loss.getData()[1], [3.0, 2.0])
    assert panel.runs_legend_text() == "run A: 50%"
    assert panel.loss_plot.getViewBox().viewRange()[1][1] >= 3.0   # room for every run
    for k in range(4):
        one_run(panel, [1.0 + k], label=f"run {k}")
    assert panel.previous_runs() == ["run 1", "run 2", "run 3"]     # at most MAX_PREVIOUS kept
    assert len(faded(panel)) == 3
    assert len({i.opts["pen"].color().name() for i in faded(panel)}) == 3   # told apart
    panel.clear_previous()
    assert panel.previous_runs() == [] and faded(panel) == [] and panel.runs_legend_text() == ""
    assert panel.point_counts()["step_loss"] == 1                    # the current run stays
    made = len(panel.loss_plot.listDataItems())
    one_run(panel, [2.0, 1.0], label="again")       # a cleared run's curves are reused
    assert panel.previous_runs() == ["again"] and len(faded(panel)) == 1
    np.testing.assert_allclose(faded(panel)[0].getData()[1], [4.0])   # run 3's loss, faded
    assert len(panel.loss_plot.listDataItems()) == made


def test_a_run_without_label_or_curves_leaves_nothing_behind(qtbot):
    panel = CurvePanel()
    qtbot.addWidget(panel)
    panel.start_run(2, "nothing drawn yet")          # no curves: nothing to keep
    one_run(panel, [1.0, 0.5])
    panel.start_run(2, "")                            # no label: dropped
    assert panel.previous_runs() == [] and panel.point_counts()["step_loss"] == 0


def test_history_round_trip_and_damaged_history(qtbot):
    panel = CurvePanel()
    qtbot.addWidget(panel)
    panel.start_run(2)
    panel.add_events([step(1, 2.0, 0.1), step(2, math.nan, 0.2), step(3, 1.0, 0.3)], 3)
    panel.add_events([epoch_end(3, 0.4, test_loss=math.nan)], 3)
    history = panel.history()
    assert history["loss"] == [2.0, None, 1.0] and history["test_loss"] == [None]
    assert history["epochs"] == 2 and history["test_accuracy"] == [40.0]
    other = CurvePanel()
    qtbot.addWidget(other)
    assert other.show_history(history)
    x, y = other.step_loss.getData()
    np.testing.assert_allclose(x, [1 / 3, 2 / 3, 1.0])
    assert y[0] == 2.0 and np.isnan(y[1]) and y[2] == 1.0
    assert other.point_counts() == {"step_loss": 3, "test_loss": 0, "step_acc": 3,
                                    "epoch_train_acc": 1, "test_acc": 1}
    assert other.loss_plot.getViewBox().viewRange()[0][1] >= 2.0     # the x axis: 2 epochs
    for bad in (None, {"x": [1.0]}, {**history, "loss": [1.0]}, {**history, "x": "abc"},
                {**history, "test_loss": []}):
        assert not other.show_history(bad)
        assert other.point_counts()["step_loss"] == 0


def test_long_runs_store_at_most_max_stored_steps(qtbot):
    from gui.widgets.curve_panel import MAX_STORED_STEPS
    panel = CurvePanel()
    qtbot.addWidget(panel)
    n = MAX_STORED_STEPS * 2 + 10
    panel.add_events([step(k, 1.0 + k) for k in range(n)], steps_per_epoch=n)
    history = panel.history()
    k = math.ceil(n / MAX_STORED_STEPS)
    assert len(history["x"]) <= MAX_STORED_STEPS and history["loss"][1] == 1.0 + k


def test_a_further_earlier_run_leaves_the_plots_where_they_are(qtbot, shown):
    """From the first earlier run on, the legend under the plots has room for MAX_PREVIOUS
    lines and asks for no width: the next runs' lines (long recipes among them) move no plot,
    so their axes are not laid out and drawn anew at a Start click."""
    from gui.widgets.curve_panel import MAX_PREVIOUS
    panel = shown(CurvePanel(), 560, 400)
    one_run(panel, [2.0, 1.0])
    one_run(panel, [2.0, 1.0], label="run A")
    qtbot.wait(30)
    geometry = [p.geometry() for p in (panel.loss_plot, panel.acc_plot)]
    labels = ["run B", "a long recipe: " + "LeNet-5 · Adam 0.001 · batch 64 · seed 0 " * 3]
    for label in labels:
        one_run(panel, [2.0, 1.0], label=label)
        qtbot.wait(30)
        assert [p.geometry() for p in (panel.loss_plot, panel.acc_plot)] == geometry
    assert panel.previous_runs() == ["run A"] + labels and len(labels) + 1 == MAX_PREVIOUS
    assert panel.width() == 560
    text = panel.runs_legend_text().split("\n")
    assert text == ["run A", "run B", labels[1]]


def test_after_a_long_run_stopped_early_the_x_axis_spans_what_it_drew(qtbot):
    """A 1000-epoch run stopped after 2.5 epochs, then a 1-epoch run: the axis spans the 2.5
    epochs the faded run drew (3 whole epochs), not its planned 1000."""
    panel = CurvePanel()
    qtbot.addWidget(panel)
    panel.start_run(1000)
    panel.add_events([step(k, 1.0) for k in range(1, 11)], steps_per_epoch=4)   # x up to 2.5
    panel.start_run(1, "stopped")
    lo, hi = panel.loss_plot.getViewBox().viewRange()[0]
    assert 3.0 <= hi < 3.2 and lo <= 0
    panel.clear_previous()
    panel.start_run(1, "")
    assert panel.loss_plot.getViewBox().viewRange()[0][1] < 1.1
