"""The Transfer learning page, standalone, driven by real clicks and keys: layers and counts
against engine.transfer / torch, the code shown, training runs in the worker compared with
engine.transfer.compare_runs, the notes' second stage, a faked weights download, state."""
import pytest
import torch
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from engine import transfer
from engine.transfer import TransferConfig, compare_runs, prepare, trainable_parameters
from gui.bind import StateError
from gui.pages.transfer import TransferPage
from gui.state import AppState

import torchvision  # noqa: E402,F401


@pytest.fixture
def page(qtbot, tmp_path, monkeypatch):
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path))   # an empty hub cache
    state = AppState()
    messages = []
    state.message.connect(lambda text, level, source: messages.append((text, level)))
    p = TransferPage(app_state=state)
    p.messages = messages
    qtbot.addWidget(p)
    p.resize(1050, 600)
    p.show()
    yield p
    p.shutdown()


def click(widget):
    QTest.mouseClick(widget, Qt.LeftButton)


def click_radio(button):
    """On the round indicator: a radio button only takes clicks on its indicator and label."""
    QTest.mouseClick(button, Qt.LeftButton, Qt.NoModifier, QPoint(8, button.height() // 2))


def type_into(spin, text):
    spin.setFocus()
    spin.selectAll()
    QTest.keyClicks(spin, text)
    QTest.keyClick(spin, Qt.Key_Return)


def test_layers_and_counts_follow_the_mode_clicked(page):
    backbone = transfer.load_backbone()
    for mode in ("scratch", "frozen", "finetune"):
        click_radio(page.controls_panel.mode_buttons[mode])
        expected = prepare(backbone, mode, 8)
        trainable, total = trainable_parameters(expected), transfer.total_parameters(expected)
        assert page.layers.summary.text().startswith(f"Trainable: {trainable:,} of {total:,}")
        rows = page.layers.rows()
        states = {r[0].split()[0]: r[2] for r in rows}
        assert states["classifier.2"] == "new head" and rows[-1][0] == "classifier.2  Linear"
        assert states["features.0"] == ("trains" if mode == "scratch" else "frozen")
        assert states["features.7"] == ("frozen" if mode == "frozen" else "trains")
        assert states["features.1"] == "–"
        shown = sum(int(r[1].replace(",", "")) for r in rows if r[2] in ("trains", "new head"))
        assert shown == trainable
    assert page.layers.rows()[-1][1] == f"{10 * 7 * 7 * 8 + 8:,}"     # Linear(490, 8)


def test_code_is_the_engine_recipe_for_the_settings_typed(page):
    click_radio(page.controls_panel.mode_buttons["finetune"])
    type_into(page.controls_panel.bind.widgets()["epochs"], "4")
    s = page.settings
    assert s.epochs == 4 and s.mode == "finetune"
    code = page.code.code()
    assert code == transfer.transfer_code("finetune", "backbone", 8, s.finetune_lr, 4,
                                          n_train=s.n_train)
    assert "model.classifier[-1] = nn.Linear(model.classifier[-1].in_features, 8)" in code
    assert "param.requires_grad = False" in code and "range(4)" in code


@pytest.mark.slow
def test_compare_all_three_trains_in_the_worker_like_the_engine(page, qtbot):
    torch.set_num_threads(1)
    c = page.controls_panel
    type_into(c.bind.widgets()["n_train"], "48")
    type_into(c.bind.widgets()["epochs"], "2")
    assert not c.stage_two.isEnabled()
    click(c.compare)
    assert page.runner.running and c.stop.isEnabled() and not c.compare.isEnabled()
    qtbot.waitUntil(lambda: not page.runner.running, timeout=90_000)
    expected = compare_runs(TransferConfig(n_train=48, epochs=2))
    for mode in ("scratch", "frozen", "finetune"):
        xs, ys = page.curves.curve(mode)
        assert xs == [1.0, 2.0]
        assert ys == pytest.approx([100 * a for a in expected[mode].test_accuracy], abs=1e-6)
    final = f"frozen backbone, new head: {100 * expected['frozen'].test_accuracy[-1]:.1f} %"
    assert final in page.results.text()
    assert c.stage_two.isEnabled()
    # the notes' second stage: the frozen run's model, its last block unfrozen, continued
    frozen = page.trained_model("frozen")
    click(c.stage_two)
    qtbot.waitUntil(lambda: not page.runner.running, timeout=60_000)
    xs, ys = page.curves.curve("frozen+finetune")
    assert xs == [2.0, 3.0, 4.0] and ys[0] == page.curves.curve("frozen")[1][-1]
    tuned = page.trained_model("frozen+finetune")
    assert torch.equal(tuned.features[0].weight, transfer.load_backbone().features[0].weight)
    assert not torch.equal(tuned.features[7].weight, frozen.features[7].weight)
    assert not torch.equal(tuned.classifier[2].weight, frozen.classifier[2].weight)


def test_stop_ends_a_run_early(page, qtbot):
    c = page.controls_panel
    type_into(c.bind.widgets()["epochs"], "60")
    click(c.train_selected)
    qtbot.waitUntil(lambda: len(page.curves.curve("frozen")[0]) >= 1, timeout=30_000)
    click(c.stop)
    qtbot.waitUntil(lambda: not page.runner.running, timeout=30_000)
    assert 1 <= len(page.curves.curve("frozen")[0]) < 60
    assert c.compare.isEnabled()


def test_resnet_without_weights_offers_a_download_and_trains_after_it(page, qtbot, monkeypatch,
                                                                       tmp_path):
    c = page.controls_panel
    c.base.setFocus()
    QTest.keyClick(c.base, Qt.Key_Down)                       # the next entry: ResNet-18
    assert page.settings.base == "resnet18"
    assert "not downloaded" in c.weights.text()
    assert not c.compare.isEnabled() and c.download.isEnabled()
    rows = page.layers.rows()
    assert rows[-1][0] == "fc  Linear" and rows[-1][2] == "new head"
    assert [r[2] for r in rows if r[0].startswith("layer4")] == ["frozen", "frozen"]
    reference = torchvision.models.resnet18(weights=None)

    def offline(name, progress=None, cancel=None):
        raise transfer.WeightsError("Could not download resnet18-f37072fd.pth (offline?).")
    monkeypatch.setattr(transfer, "download_weights", offline)
    click(c.download)
    qtbot.waitUntil(lambda: "offline" in c.status.text(), timeout=10_000)
    assert ("Could not download resnet18-f37072fd.pth (offline?).", "error") in page.messages

    def fake(name, progress=None, cancel=None):
        path = transfer.weights_path(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        torch.save(reference.state_dict(), path)
        progress(50, 100)
        progress(100, 100)
        return path
    monkeypatch.setattr(transfer, "download_weights", fake)
    click(c.download)
    qtbot.waitUntil(lambda: "found" in c.weights.text(), timeout=20_000)
    assert transfer.available_pretrained() == ["resnet18"]
    assert c.compare.isEnabled() and not c.download.isVisible()
    assert "model.fc = nn.Linear(model.fc.in_features, 8)" in page.code.code()
    assert 'models.resnet18(weights="DEFAULT")' in page.code.code()
    # and it trains: the grey shapes as 3x32x32, only the new fc changes
    type_into(c.bind.widgets()["n_train"], "16")
    type_into(c.bind.widgets()["epochs"], "1")
    click(c.train_selected)
    qtbot.waitUntil(lambda: not page.runner.running, timeout=60_000)
    assert page.curves.curve("frozen")[0] == [1.0]
    trained = page.trained_model("frozen")
    assert torch.equal(trained.layer4[1].conv2.weight, reference.layer4[1].conv2.weight)
    assert trained.fc.out_features == 8


def test_page_fits_1280x720_without_horizontal_scrolling(page):
    assert page.minimumSizeHint().width() <= 1050
    for widget in [*page.controls_panel.bind.widgets().values(),
                   *page.controls_panel.mode_buttons.values(), page.controls_panel.compare,
                   page.controls_panel.stage_two, page.controls_panel.download, page.layers.table,
                   page.curves]:
        assert widget.toolTip(), widget


def test_state_round_trips_and_a_bad_state_changes_nothing(page, qtbot):
    c = page.controls_panel
    click_radio(c.mode_buttons["finetune"])
    type_into(c.bind.widgets()["n_train"], "200")
    type_into(c.bind.widgets()["seed"], "7")
    saved = page.state()
    assert saved["mode"] == "finetune" and saved["n_train"] == 200 and saved["seed"] == 7
    fresh = TransferPage(app_state=AppState())
    qtbot.addWidget(fresh)
    fresh.apply_state(saved)
    assert fresh.state() == saved
    assert fresh.code.code() == page.code.code() and fresh.layers.rows() == page.layers.rows()
    for bad in ({"epochs": 0}, {"mode": "thaw"}, {"base": "alexnet"}, {"colour": 1}):
        with pytest.raises(StateError):
            fresh.apply_state({"n_train": 50, **bad})
        assert fresh.state() == saved
    fresh.reset()
    assert fresh.state()["mode"] == "frozen" and fresh.state()["n_train"] == 120
    fresh.shutdown()
