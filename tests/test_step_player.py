"""The shared step player: stepping, clamping, playing to the end, shortcuts via the bar."""
from gui.widgets.step_player import StepPlayer, StepPlayerBar


def test_stepping_clamps_and_signals(qtbot):
    player = StepPlayer()
    seen = []
    player.stepChanged.connect(seen.append)
    player.set_count(3)
    assert seen == [0]
    player.step_forward(); player.step_forward(); player.step_forward()
    assert player.index == 2 and seen == [0, 1, 2]
    player.step_back()
    assert player.index == 1
    player.first(); assert player.index == 0
    player.last(); assert player.index == 2
    player.set_count(2)  # shrinking the trace clamps the index
    assert player.index == 1


def test_play_runs_to_the_end_and_stops(qtbot):
    player = StepPlayer(steps_per_second=200)
    player.set_count(5)
    player.play()
    assert player.playing
    qtbot.waitUntil(lambda: not player.playing, timeout=3000)
    assert player.index == 4


def test_bar_reflects_player(qtbot):
    player = StepPlayer()
    bar = StepPlayerBar(player)
    qtbot.addWidget(bar)
    player.set_count(10)
    player.go_to(6)
    assert bar.position.value() == 6
    assert bar.position_label.text() == "step 7 / 10"
    bar.position.setValue(2)
    assert player.index == 2
    bar.forward_button.click()
    assert player.index == 3
    player.faster()
    assert bar.speed_label.text() == f"{player.speed:g}/s"


def test_empty_trace_disables_controls(qtbot):
    player = StepPlayer()
    bar = StepPlayerBar(player)
    qtbot.addWidget(bar)
    player.set_count(0)
    assert not bar.play_button.isEnabled()
    player.play()
    assert not player.playing


def test_a_long_counter_does_not_run_into_the_speed_label(shown):
    """ "step 42584 / 172890" used to be drawn over "Speed" (a 120 px label)."""
    from PySide6.QtWidgets import QLabel
    from gui.widgets.step_player import StepPlayer, StepPlayerBar
    player = StepPlayer()
    bar = shown(StepPlayerBar(player), 700, 40)
    player.set_count(172890, index=42583)
    bar.layout().activate()
    label = bar.position_label
    speed = next(w for w in bar.findChildren(QLabel) if w.text() == "Speed")
    assert label.text() == "step 42584 / 172890"
    needed = label.fontMetrics().horizontalAdvance(label.text())
    assert label.width() >= needed
    assert label.geometry().right() < speed.geometry().left()
